"""Distillation pipeline: teacher decompositions -> filter -> fine-tune a small student ->
load it back with ``decomposer="hf:<dir>"``.

Beside the library: it imports ``langgraph_decomp``, never the reverse.
"""

from langgraph_decomp.distill.filtering import FilterReport, filter_plans
from langgraph_decomp.distill.metrics import PlanMetrics, plan_metrics
from langgraph_decomp.distill.pipeline import DistillResult, evaluate_plans, run_distill
from langgraph_decomp.distill.teacher import DATASET_TEACHER, TeacherPlan, teacher_plans
from langgraph_decomp.distill.train import TrainConfig, finetune

__all__ = [
    "DATASET_TEACHER",
    "DistillResult",
    "FilterReport",
    "PlanMetrics",
    "TeacherPlan",
    "TrainConfig",
    "evaluate_plans",
    "filter_plans",
    "finetune",
    "plan_metrics",
    "run_distill",
    "teacher_plans",
]
