"""How many questions a page asks is part of the frozen design too: once a wave opens, its
pages are what every member sees, and the page visits the analysis reads follow them."""

from django.db import migrations

WITH_PAGE_LENGTH = r"""
CREATE OR REPLACE FUNCTION experiments_wave_frozen_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.design_hash <> '' THEN
            PERFORM experiments_refuse_frozen('an opened wave is part of the study record');
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.design_hash = '' THEN
        RETURN NEW;
    END IF;
    IF NEW.council_id IS DISTINCT FROM OLD.council_id
        OR NEW.seed IS DISTINCT FROM OLD.seed
        OR NEW.allocation_scheme IS DISTINCT FROM OLD.allocation_scheme
        OR NEW.strata IS DISTINCT FROM OLD.strata
        OR NEW.experiment_on IS DISTINCT FROM OLD.experiment_on
        OR NEW.time_questions IS DISTINCT FROM OLD.time_questions
        OR NEW.manipulation_check IS DISTINCT FROM OLD.manipulation_check
        OR NEW.questions_per_page IS DISTINCT FROM OLD.questions_per_page
        OR NEW.analysis_plan IS DISTINCT FROM OLD.analysis_plan
        OR NEW.expected_response_rate IS DISTINCT FROM OLD.expected_response_rate
        OR NEW.hoped_for_effect IS DISTINCT FROM OLD.hoped_for_effect
        OR NEW.expected_sd_individual IS DISTINCT FROM OLD.expected_sd_individual
        OR NEW.expected_sd_collective IS DISTINCT FROM OLD.expected_sd_collective
        OR NEW.intra_cluster_correlation IS DISTINCT FROM OLD.intra_cluster_correlation
        OR NEW.design IS DISTINCT FROM OLD.design
        OR NEW.design_hash IS DISTINCT FROM OLD.design_hash
        OR NEW.opened_at IS DISTINCT FROM OLD.opened_at
    THEN
        PERFORM experiments_refuse_frozen('a field of wave ' || OLD.id);
    END IF;
    IF OLD.status = 'closed' AND NEW.status <> 'closed'
        OR OLD.status = 'open' AND NEW.status NOT IN ('open', 'closed')
    THEN
        PERFORM experiments_refuse_frozen('the status of wave ' || OLD.id || ' only moves forward');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

WITHOUT_PAGE_LENGTH = r"""
CREATE OR REPLACE FUNCTION experiments_wave_frozen_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.design_hash <> '' THEN
            PERFORM experiments_refuse_frozen('an opened wave is part of the study record');
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.design_hash = '' THEN
        RETURN NEW;
    END IF;
    IF NEW.council_id IS DISTINCT FROM OLD.council_id
        OR NEW.seed IS DISTINCT FROM OLD.seed
        OR NEW.allocation_scheme IS DISTINCT FROM OLD.allocation_scheme
        OR NEW.strata IS DISTINCT FROM OLD.strata
        OR NEW.experiment_on IS DISTINCT FROM OLD.experiment_on
        OR NEW.time_questions IS DISTINCT FROM OLD.time_questions
        OR NEW.manipulation_check IS DISTINCT FROM OLD.manipulation_check
        OR NEW.analysis_plan IS DISTINCT FROM OLD.analysis_plan
        OR NEW.expected_response_rate IS DISTINCT FROM OLD.expected_response_rate
        OR NEW.hoped_for_effect IS DISTINCT FROM OLD.hoped_for_effect
        OR NEW.expected_sd_individual IS DISTINCT FROM OLD.expected_sd_individual
        OR NEW.expected_sd_collective IS DISTINCT FROM OLD.expected_sd_collective
        OR NEW.intra_cluster_correlation IS DISTINCT FROM OLD.intra_cluster_correlation
        OR NEW.design IS DISTINCT FROM OLD.design
        OR NEW.design_hash IS DISTINCT FROM OLD.design_hash
        OR NEW.opened_at IS DISTINCT FROM OLD.opened_at
    THEN
        PERFORM experiments_refuse_frozen('a field of wave ' || OLD.id);
    END IF;
    IF OLD.status = 'closed' AND NEW.status <> 'closed'
        OR OLD.status = 'open' AND NEW.status NOT IN ('open', 'closed')
    THEN
        PERFORM experiments_refuse_frozen('the status of wave ' || OLD.id || ' only moves forward');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def freeze_page_length(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WITH_PAGE_LENGTH, params=None)


def thaw_page_length(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WITHOUT_PAGE_LENGTH, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("experiments", "0015_council_privacy_contact_welsh_names_and_page_length"),
    ]

    operations = [migrations.RunPython(freeze_page_length, thaw_page_length)]
