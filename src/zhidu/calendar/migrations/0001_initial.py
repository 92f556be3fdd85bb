import datetime

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('org', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(unique=True, verbose_name='日期')),
                ('working', models.BooleanField(verbose_name='上班')),
                ('kind', models.CharField(choices=[('workday', '工作日'), ('weekend', '周末'), ('holiday', '法定节假日'), ('makeup', '调休上班')], max_length=16, verbose_name='类型')),
                ('name', models.CharField(blank=True, max_length=100, verbose_name='名称')),
                ('source', models.CharField(blank=True, max_length=200, verbose_name='依据')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
            ],
            options={
                'verbose_name': '日历日',
                'verbose_name_plural': '日历日',
                'ordering': ['date'],
            },
        ),
        migrations.CreateModel(
            name='CalendarVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.BigIntegerField(default=0)),
                ('token', models.CharField(default='', max_length=32)),
                ('changed_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name': '日历版本',
                'verbose_name_plural': '日历版本',
            },
        ),
        migrations.CreateModel(
            name='CalendarYear',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveIntegerField(unique=True, verbose_name='年份')),
                ('known', models.BooleanField(default=False, help_text='未收录的年份按周末双休推算，所有日期均为暂定。', verbose_name='已收录')),
                ('source', models.CharField(blank=True, max_length=200, verbose_name='依据')),
                ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='确认时间')),
                ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='org.person', verbose_name='确认人')),
            ],
            options={
                'verbose_name': '日历年份',
                'verbose_name_plural': '日历年份',
                'ordering': ['year'],
            },
        ),
        migrations.CreateModel(
            name='WorkingHours',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day_start', models.TimeField(default=datetime.time(8, 30), verbose_name='上班时间')),
                ('day_end', models.TimeField(default=datetime.time(17, 30), verbose_name='下班时间')),
                ('break_start', models.TimeField(blank=True, null=True, verbose_name='午休开始')),
                ('break_end', models.TimeField(blank=True, null=True, verbose_name='午休结束')),
                ('unit', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='working_hours', to='org.orgunit', verbose_name='单位')),
            ],
            options={
                'verbose_name': '工作时间',
                'verbose_name_plural': '工作时间',
                'ordering': ['unit__path'],
            },
        ),
    ]
