from django.db import migrations


def list_each_runs_wave(apps, schema_editor):
    """Give every existing run (all of one wave) its wave in `waves` and `wave_key`."""
    AnalysisRun = apps.get_model("analysis", "AnalysisRun")
    Through = AnalysisRun.waves.through
    runs = AnalysisRun.objects.exclude(wave=None).only("pk", "wave_id")
    for run in runs.iterator(chunk_size=500):
        run.wave_key = str(run.wave_id)
        run.save(update_fields=["wave_key"])
    Through.objects.bulk_create(
        [Through(analysisrun_id=pk, wave_id=wave_id) for pk, wave_id in runs.values_list("pk", "wave_id")],
        ignore_conflicts=True,
    )


def drop_runs_over_several_waves(apps, schema_editor):
    """Before this migration every run had one wave: runs without one cannot go back."""
    apps.get_model("analysis", "AnalysisRun").objects.filter(wave=None).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("analysis", "0005_analysis_run_over_waves"),
    ]

    operations = [
        migrations.RunPython(list_each_runs_wave, drop_runs_over_several_waves),
    ]
