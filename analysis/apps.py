from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "analysis"
    verbose_name = "Analysis"

    def ready(self):
        from analysis.datasets import plan_wave_power
        from analysis.plan import AnalysisPlan
        from experiments.design import register_design_part

        # The plans promised before opening are frozen with the wave's design.
        register_design_part(
            "analysis_plan", lambda wave: AnalysisPlan.from_dict(wave.analysis_plan).to_dict()
        )
        register_design_part("power_plan", lambda wave: plan_wave_power(wave).to_dict())
