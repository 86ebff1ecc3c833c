from celery import shared_task

from apps.ratings.services import results_finalize_due


@shared_task(acks_late=True, ignore_result=True)
def results_finalize_due_task() -> int:
    return results_finalize_due()
