"""Conflicts become records: the model, the old addresses of renamed records, and a
nullable link from processes next to their free-text conflict (filled in 0012)."""

import django.db.models.deletion
import django.utils.timezone
import django_countries.fields
import simple_history.models
import tracker.models.validators
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0010_account_proxy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Conflict',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='last changed')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('name', models.CharField(help_text='As commonly written in English, e.g. “Russia–Ukraine war”.', max_length=200, unique=True, verbose_name='name')),
                ('slug', models.SlugField(max_length=100, unique=True, verbose_name='slug')),
                ('description', models.CharField(blank=True, help_text='One or two sentences: who fights whom, over what, since when.', max_length=500, verbose_name='description')),
                ('countries', django_countries.fields.CountryField(blank=True, help_text='ISO 3166 countries the conflict is fought in or between.', max_length=746, multiple=True, verbose_name='countries')),
                ('start_date', models.DateField(blank=True, null=True, validators=[tracker.models.validators.validate_shown_date], verbose_name='start date')),
                ('end_date', models.DateField(blank=True, help_text='Empty while the conflict goes on.', null=True, validators=[tracker.models.validators.validate_shown_date], verbose_name='end date')),
                ('status', models.CharField(choices=[('active', 'active'), ('suspended', 'suspended'), ('concluded', 'concluded')], default='active', max_length=20, verbose_name='status')),
                ('changed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='last changed by')),
            ],
            options={
                'verbose_name': 'conflict',
                'verbose_name_plural': 'conflicts',
                'ordering': ['name'],
            },
        ),
        migrations.RenameField(
            model_name='process',
            old_name='conflict',
            new_name='conflict_text',
        ),
        migrations.RenameField(
            model_name='historicalprocess',
            old_name='conflict',
            new_name='conflict_text',
        ),
        migrations.AddField(
            model_name='historicalprocess',
            name='conflict',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='The war or dispute this track tries to settle.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tracker.conflict', verbose_name='conflict'),
        ),
        migrations.AddField(
            model_name='process',
            name='conflict',
            field=models.ForeignKey(null=True, help_text='The war or dispute this track tries to settle.', on_delete=django.db.models.deletion.PROTECT, related_name='processes', to='tracker.conflict', verbose_name='conflict'),
        ),
        migrations.CreateModel(
            name='HistoricalConflict',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='created')),
                ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='last changed')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('name', models.CharField(db_index=True, help_text='As commonly written in English, e.g. “Russia–Ukraine war”.', max_length=200, verbose_name='name')),
                ('slug', models.SlugField(max_length=100, verbose_name='slug')),
                ('description', models.CharField(blank=True, help_text='One or two sentences: who fights whom, over what, since when.', max_length=500, verbose_name='description')),
                ('countries', django_countries.fields.CountryField(blank=True, help_text='ISO 3166 countries the conflict is fought in or between.', max_length=746, multiple=True, verbose_name='countries')),
                ('start_date', models.DateField(blank=True, null=True, validators=[tracker.models.validators.validate_shown_date], verbose_name='start date')),
                ('end_date', models.DateField(blank=True, help_text='Empty while the conflict goes on.', null=True, validators=[tracker.models.validators.validate_shown_date], verbose_name='end date')),
                ('status', models.CharField(choices=[('active', 'active'), ('suspended', 'suspended'), ('concluded', 'concluded')], default='active', max_length=20, verbose_name='status')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('changed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='last changed by')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical conflict',
                'verbose_name_plural': 'historical conflicts',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='SlugHistory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('model', models.CharField(max_length=50, verbose_name='kind of record')),
                ('old_slug', models.SlugField(max_length=100, verbose_name='old slug')),
                ('record_id', models.PositiveBigIntegerField(verbose_name='record')),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='changed')),
            ],
            options={
                'verbose_name': 'old address',
                'verbose_name_plural': 'old addresses',
                'ordering': ['model', 'old_slug'],
                'constraints': [models.UniqueConstraint(fields=('model', 'old_slug'), name='slug_history_unique')],
            },
        ),
        migrations.AddConstraint(
            model_name='conflict',
            constraint=models.CheckConstraint(condition=models.Q(('end_date__isnull', True), ('start_date__isnull', True), ('end_date__gte', models.F('start_date')), _connector='OR'), name='conflict_ends_after_start', violation_error_message='The end date cannot be before the start date.'),
        ),
    ]
