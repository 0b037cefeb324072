"""A wave randomised elsewhere: who allocated its groups, the scheme as they declared it.

Such a wave takes each member's group from the imported file; whether it was randomised
elsewhere, by whom and how are part of its frozen design, so the database refuses to change
them once the wave has opened, like the platform's own allocation settings.
"""

import surveyplatform.text
from django.db import migrations, models


WITH_RANDOMISED_ELSEWHERE = r"""
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
        OR NEW.randomised_elsewhere IS DISTINCT FROM OLD.randomised_elsewhere
        OR NEW.randomised_by IS DISTINCT FROM OLD.randomised_by
        OR NEW.declared_scheme IS DISTINCT FROM OLD.declared_scheme
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

WITHOUT_RANDOMISED_ELSEWHERE = r"""
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


def freeze_randomised_elsewhere(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WITH_RANDOMISED_ELSEWHERE, params=None)


def thaw_randomised_elsewhere(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WITHOUT_RANDOMISED_ELSEWHERE, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('experiments', '0019_invitation_templates'),
    ]

    operations = [
        migrations.AddField(
            model_name='wave',
            name='declared_scheme',
            field=models.TextField(blank=True, editable=False, verbose_name='allocation scheme as declared'),
        ),
        migrations.AddField(
            model_name='wave',
            name='randomised_by',
            field=models.CharField(blank=True, editable=False, max_length=200, validators=[surveyplatform.text.validate_one_line], verbose_name='randomised by'),
        ),
        migrations.AddField(
            model_name='wave',
            name='randomised_elsewhere',
            field=models.BooleanField(default=False, editable=False, verbose_name='randomised elsewhere'),
        ),
        migrations.AlterField(
            model_name='assignment',
            name='scheme',
            field=models.CharField(choices=[('blocks', 'Stratified permuted blocks'), ('simple', 'Simple (keyed hash)'), ('cluster', 'Cluster (households share a group)'), ('off', 'Experiment off (no information for anyone)'), ('external', 'Randomised elsewhere (groups imported)')], max_length=20),
        ),
        migrations.RunPython(freeze_randomised_elsewhere, thaw_randomised_elsewhere),
    ]
