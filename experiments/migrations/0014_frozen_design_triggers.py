"""The frozen design, kept by Postgres itself: once a wave's design is recorded, no path
(a console page, the API, Django admin, a shell, a migration) can change what it froze.

A wave's design is recorded when it opens (`experiments.design.freeze_design` sets
`design_hash`). From then on:

- the wave's council, seed, allocation scheme and strata, experiment switch, questions
  asked (time questions, manipulation check), analysis plan and power inputs, its
  recorded design and hash, and its opening time never change; its status only moves
  forward (open → closed), and the wave is never deleted;
- its themes (which, and in what order), the names and kind of those themes, their
  activities and the council's wording of its questions never change;
- a nudge text is never edited or deleted; a correction is a new version, inserted as a
  recorded deviation (`is_deviation`), and none once the wave has closed.

What may change after opening (the title, the closing time) is not touched here; the
closing time changes through `experiments.waves.change_closing_time`, which records a
deviation.
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION experiments_refuse_frozen(what text) RETURNS void AS $$
BEGIN
    RAISE EXCEPTION 'the frozen design of an opened wave cannot change: %', what
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION experiments_wave_is_frozen(wave bigint) RETURNS boolean AS $$
    SELECT EXISTS (SELECT 1 FROM experiments_wave WHERE id = wave AND design_hash <> '');
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION experiments_theme_is_frozen(theme bigint) RETURNS boolean AS $$
    SELECT EXISTS (
        SELECT 1 FROM experiments_wavetheme wt JOIN experiments_wave w ON w.id = wt.wave_id
        WHERE wt.theme_id = theme AND w.design_hash <> ''
    );
$$ LANGUAGE sql STABLE;

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

CREATE OR REPLACE FUNCTION experiments_wavetheme_frozen_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF experiments_wave_is_frozen(OLD.wave_id) THEN
            PERFORM experiments_refuse_frozen('the themes of an opened wave');
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF experiments_wave_is_frozen(NEW.wave_id) THEN
            PERFORM experiments_refuse_frozen('the themes of an opened wave');
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION experiments_theme_frozen_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF experiments_theme_is_frozen(OLD.id) THEN
            PERFORM experiments_refuse_frozen('theme ' || OLD.id || ', asked in an opened wave');
        END IF;
        RETURN OLD;
    END IF;
    IF NOT experiments_theme_is_frozen(OLD.id) THEN
        RETURN NEW;
    END IF;
    IF NEW.council_id IS DISTINCT FROM OLD.council_id
        OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.name_en IS DISTINCT FROM OLD.name_en
        OR NEW.name_cy IS DISTINCT FROM OLD.name_cy
    THEN
        PERFORM experiments_refuse_frozen('theme ' || OLD.id || ', asked in an opened wave');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION experiments_activity_frozen_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF experiments_theme_is_frozen(OLD.theme_id) THEN
            PERFORM experiments_refuse_frozen('the activities of a theme asked in an opened wave');
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF experiments_theme_is_frozen(NEW.theme_id) THEN
            PERFORM experiments_refuse_frozen('the activities of a theme asked in an opened wave');
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION experiments_itemwording_frozen_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF experiments_wave_is_frozen(OLD.wave_id) THEN
            PERFORM experiments_refuse_frozen('the wording of an opened wave');
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF experiments_wave_is_frozen(NEW.wave_id) THEN
            PERFORM experiments_refuse_frozen('the wording of an opened wave');
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION experiments_nudgetext_frozen_guard() RETURNS trigger AS $$
DECLARE
    wave_status text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF experiments_wave_is_frozen(OLD.wave_id) THEN
            PERFORM experiments_refuse_frozen(
                'a nudge text shown in an opened wave (add a corrected version instead)'
            );
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF experiments_wave_is_frozen(NEW.wave_id) THEN
        SELECT w.status INTO wave_status FROM experiments_wave w WHERE w.id = NEW.wave_id;
        IF wave_status = 'closed' THEN
            PERFORM experiments_refuse_frozen('the nudge texts of a closed wave');
        END IF;
        IF NOT NEW.is_deviation THEN
            PERFORM experiments_refuse_frozen(
                'a nudge text added after opening must be recorded as a deviation'
            );
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER experiments_wave_frozen BEFORE UPDATE OR DELETE ON experiments_wave
    FOR EACH ROW EXECUTE FUNCTION experiments_wave_frozen_guard();
CREATE TRIGGER experiments_wavetheme_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON experiments_wavetheme FOR EACH ROW EXECUTE FUNCTION experiments_wavetheme_frozen_guard();
CREATE TRIGGER experiments_theme_frozen BEFORE UPDATE OR DELETE ON experiments_theme
    FOR EACH ROW EXECUTE FUNCTION experiments_theme_frozen_guard();
CREATE TRIGGER experiments_activity_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON experiments_activity FOR EACH ROW EXECUTE FUNCTION experiments_activity_frozen_guard();
CREATE TRIGGER experiments_itemwording_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON experiments_itemwording FOR EACH ROW
    EXECUTE FUNCTION experiments_itemwording_frozen_guard();
CREATE TRIGGER experiments_nudgetext_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON experiments_nudgetext FOR EACH ROW EXECUTE FUNCTION experiments_nudgetext_frozen_guard();
"""

TABLES = ("wave", "wavetheme", "theme", "activity", "itemwording", "nudgetext")

DROP = "".join(
    f"DROP TRIGGER IF EXISTS experiments_{table}_frozen ON experiments_{table};"
    f" DROP FUNCTION IF EXISTS experiments_{table}_frozen_guard();"
    for table in TABLES
) + (
    " DROP FUNCTION IF EXISTS experiments_theme_is_frozen(bigint);"
    " DROP FUNCTION IF EXISTS experiments_wave_is_frozen(bigint);"
    " DROP FUNCTION IF EXISTS experiments_refuse_frozen(text);"
)


def create_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("experiments", "0013_council_second_factor_and_deviations"),
    ]

    operations = [migrations.RunPython(create_guards, drop_guards)]
