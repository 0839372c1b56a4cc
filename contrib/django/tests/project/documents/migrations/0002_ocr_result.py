from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [
        migrations.AddField("document", "ocr_job_id", models.BigIntegerField(blank=True, null=True)),
        migrations.AddField("document", "ocr_result", models.JSONField(blank=True, null=True)),
    ]
