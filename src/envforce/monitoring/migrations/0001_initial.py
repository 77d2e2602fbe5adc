"""Monitoring data plane tables.  Frame and Reading are partitioned by month on PostgreSQL."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# --- PostgreSQL: monthly range partitions with a default partition -------------------------
# Column types mirror what Django would create for the model state of this migration.  A
# partitioned table's unique constraints must contain the partition key, hence the primary
# keys (id, received_at) / (id, data_time); ids stay unique because they come from one
# sequence.  Partitions per month are created by envforce.monitoring.partitions (ingest start
# and daily); the DEFAULT partitions accept any row whose month has no partition yet, so no
# insert is ever refused.
FRAME_DDL = """
CREATE TABLE monitoring_frame (
    id bigserial NOT NULL,
    received_at timestamp with time zone NOT NULL,
    node varchar(64) NOT NULL,
    peer varchar(64) NOT NULL,
    status varchar(12) NOT NULL,
    reason varchar(32) NOT NULL,
    message varchar(200) NOT NULL,
    mn varchar(64) NOT NULL,
    cn varchar(8) NOT NULL,
    qn varchar(24) NOT NULL,
    st varchar(8) NOT NULL,
    flag smallint NULL,
    data_time timestamp with time zone NULL,
    raw bytea NOT NULL,
    raw_size integer NOT NULL,
    leniencies varchar(300) NOT NULL,
    readings smallint NOT NULL,
    point_id bigint NULL
        CONSTRAINT monitoring_frame_point_id_fk_registry_monitoringpoint_id
        REFERENCES registry_monitoringpoint (id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);
CREATE TABLE monitoring_frame_default PARTITION OF monitoring_frame DEFAULT;
CREATE INDEX mon_frame_point_time ON monitoring_frame (point_id, received_at);
CREATE INDEX mon_frame_mn_time ON monitoring_frame (mn, received_at);
ALTER SEQUENCE monitoring_frame_id_seq CACHE 1000;
"""

READING_DDL = """
CREATE TABLE monitoring_reading (
    id bigserial NOT NULL,
    cn varchar(4) NOT NULL,
    code varchar(16) NOT NULL,
    data_time timestamp with time zone NOT NULL,
    rtd numeric(33, 15) NULL,
    avg numeric(33, 15) NULL,
    min numeric(33, 15) NULL,
    max numeric(33, 15) NULL,
    cou numeric(33, 15) NULL,
    zs_rtd numeric(33, 15) NULL,
    zs_avg numeric(33, 15) NULL,
    zs_min numeric(33, 15) NULL,
    zs_max numeric(33, 15) NULL,
    flag varchar(4) NOT NULL,
    extra jsonb NULL,
    frame_id bigint NULL,
    received_at timestamp with time zone NOT NULL,
    point_id bigint NOT NULL
        CONSTRAINT monitoring_reading_point_id_fk_registry_monitoringpoint_id
        REFERENCES registry_monitoringpoint (id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (id, data_time),
    CONSTRAINT mon_reading_unique UNIQUE (point_id, cn, code, data_time)
) PARTITION BY RANGE (data_time);
CREATE TABLE monitoring_reading_default PARTITION OF monitoring_reading DEFAULT;
ALTER SEQUENCE monitoring_reading_id_seq CACHE 1000;
"""


class CreatePartitionedModel(migrations.CreateModel):
    """CreateModel whose table is made by ``pg_ddl`` on PostgreSQL (partitioned), and by Django
    from the model state on every other database.  The state is the ordinary model's."""

    def __init__(self, *args, pg_ddl="", pg_drop="", **kwargs):
        super().__init__(*args, **kwargs)
        self.pg_ddl = pg_ddl
        self.pg_drop = pg_drop

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            if self.allow_migrate_model(schema_editor.connection.alias, to_state.apps.get_model(app_label, self.name)):
                schema_editor.execute(self.pg_ddl)
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(self.pg_drop)
            return
        super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('registry', '0002_constraint_messages'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DeviceState',
            fields=[
                ('point', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='registry.monitoringpoint', verbose_name='监测点位')),
                ('last_frame_at', models.DateTimeField(verbose_name='最近接收时间')),
                ('last_data_time', models.DateTimeField(blank=True, null=True, verbose_name='最近数据时间')),
                ('last_cn', models.CharField(blank=True, max_length=8, verbose_name='最近命令编码')),
                ('last_peer', models.CharField(blank=True, max_length=64, verbose_name='最近来源地址')),
                ('node', models.CharField(blank=True, max_length=64, verbose_name='接收节点')),
                ('last_status_cn', models.CharField(blank=True, max_length=8, verbose_name='最近状态命令')),
                ('last_status_at', models.DateTimeField(blank=True, null=True, verbose_name='最近状态时间')),
                ('last_status', models.JSONField(blank=True, null=True, verbose_name='最近状态内容')),
            ],
            options={
                'verbose_name': '设备状态',
            },
        ),
        migrations.CreateModel(
            name='QuarantineEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mn', models.CharField(max_length=64, unique=True, verbose_name='设备MN')),
                ('first_seen', models.DateTimeField(verbose_name='首次接收')),
                ('last_seen', models.DateTimeField(verbose_name='最近接收')),
                ('frame_count', models.BigIntegerField(default=0, verbose_name='报文数')),
                ('last_peer', models.CharField(blank=True, max_length=64, verbose_name='最近来源地址')),
                ('last_pw', models.CharField(blank=True, max_length=20, verbose_name='最近访问密码')),
                ('last_st', models.CharField(blank=True, max_length=8, verbose_name='最近系统编码')),
                ('status', models.CharField(choices=[('open', '待认领'), ('assigned', '已认领'), ('dismissed', '已忽略')], default='open', max_length=12, verbose_name='状态')),
                ('assigned_at', models.DateTimeField(blank=True, null=True, verbose_name='认领时间')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='备注')),
                ('assigned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='认领人')),
                ('point', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.monitoringpoint', verbose_name='认领到点位')),
            ],
            options={
                'verbose_name': '待认领设备',
                'ordering': ['-last_seen'],
            },
        ),
        CreatePartitionedModel(
            name='Frame',
            pg_ddl=FRAME_DDL,
            pg_drop='DROP TABLE monitoring_frame',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('received_at', models.DateTimeField(verbose_name='接收时间')),
                ('node', models.CharField(blank=True, max_length=64, verbose_name='接收节点')),
                ('peer', models.CharField(blank=True, max_length=64, verbose_name='来源地址')),
                ('status', models.CharField(choices=[('stored', '已入库'), ('duplicate', '重复（已存在）'), ('quarantined', '待认领（未知设备）'), ('rejected', '已拒收')], max_length=12, verbose_name='处理结果')),
                ('reason', models.CharField(blank=True, max_length=32, verbose_name='原因代码')),
                ('message', models.CharField(blank=True, max_length=200, verbose_name='原因说明')),
                ('mn', models.CharField(blank=True, max_length=64, verbose_name='设备MN')),
                ('cn', models.CharField(blank=True, max_length=8, verbose_name='命令编码CN')),
                ('qn', models.CharField(blank=True, max_length=24, verbose_name='请求编码QN')),
                ('st', models.CharField(blank=True, max_length=8, verbose_name='系统编码ST')),
                ('flag', models.SmallIntegerField(blank=True, null=True, verbose_name='Flag')),
                ('data_time', models.DateTimeField(blank=True, null=True, verbose_name='数据时间')),
                ('raw', models.BinaryField(verbose_name='原始报文')),
                ('raw_size', models.IntegerField(verbose_name='原始字节数')),
                ('leniencies', models.CharField(blank=True, max_length=300, verbose_name='容错项')),
                ('readings', models.SmallIntegerField(default=0, verbose_name='新入库数据条数')),
                ('point', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.monitoringpoint', verbose_name='监测点位')),
            ],
            options={
                'verbose_name': '接收报文',
                'indexes': [models.Index(fields=['point', 'received_at'], name='mon_frame_point_time'), models.Index(fields=['mn', 'received_at'], name='mon_frame_mn_time')],
            },
        ),
        CreatePartitionedModel(
            name='Reading',
            pg_ddl=READING_DDL,
            pg_drop='DROP TABLE monitoring_reading',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('cn', models.CharField(choices=[('2011', '实时数据'), ('2051', '分钟数据'), ('2061', '小时数据'), ('2031', '日数据'), ('2021', '设施运行状态'), ('2041', '设施日运行时间')], max_length=4, verbose_name='数据类型')),
                ('code', models.CharField(max_length=16, verbose_name='因子编码')),
                ('data_time', models.DateTimeField(verbose_name='数据时间')),
                ('rtd', models.DecimalField(blank=True, decimal_places=15, max_digits=33, null=True, verbose_name='实时值')),
                ('avg', models.DecimalField(blank=True, decimal_places=15, max_digits=33, null=True, verbose_name='均值')),
                ('min', models.DecimalField(blank=True, decimal_places=15, max_digits=33, null=True, verbose_name='最小值')),
                ('max', models.DecimalField(blank=True, decimal_places=15, max_digits=33, null=True, verbose_name='最大值')),
                ('cou', models.DecimalField(blank=True, decimal_places=15, max_digits=33, null=True, verbose_name='累计值')),
                ('zs_rtd', models.DecimalField(blank=True, decimal_places=15, max_digits=33, null=True, verbose_name='折算实时值')),
                ('zs_avg', models.DecimalField(blank=True, decimal_places=15, max_digits=33, null=True, verbose_name='折算均值')),
                ('zs_min', models.DecimalField(blank=True, decimal_places=15, max_digits=33, null=True, verbose_name='折算最小值')),
                ('zs_max', models.DecimalField(blank=True, decimal_places=15, max_digits=33, null=True, verbose_name='折算最大值')),
                ('flag', models.CharField(blank=True, max_length=4, verbose_name='数据标记')),
                ('extra', models.JSONField(blank=True, null=True, verbose_name='其他字段')),
                ('frame_id', models.BigIntegerField(blank=True, null=True, verbose_name='来源报文')),
                ('received_at', models.DateTimeField(verbose_name='接收时间')),
                ('point', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.monitoringpoint', verbose_name='监测点位')),
            ],
            options={
                'verbose_name': '监测数据',
                'constraints': [models.UniqueConstraint(fields=('point', 'cn', 'code', 'data_time'), name='mon_reading_unique')],
            },
        ),
    ]
