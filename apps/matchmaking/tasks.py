from celery import shared_task

from apps.matchmaking.services import auto_pair_wave


@shared_task(acks_late=True, ignore_result=True)
def auto_pair_wave_task() -> int:
    return auto_pair_wave()
