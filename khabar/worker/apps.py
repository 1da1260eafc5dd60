from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "khabar.worker"
    label = "worker"
