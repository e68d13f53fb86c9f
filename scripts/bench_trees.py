"""The files ``scripts/bench.py`` writes into its temporary workspace.

- ``PACKAGES``: importable modules for W1/W2 (the registry trees of scopes ``hrb``, ``hrb_det``,
  ``hrb_cls``, each scope a real package with a ``registry.py`` as in OpenMMLab libraries; the home
  of the ``_target_`` classes) and W5 (run.py's no-op task);
- ``HYDRA_TREE``: an mmdet-like Hydra config tree (model with backbone/neck/bbox_head subgroups,
  dataset, schedule, runtime; interpolations) and ``exp.yaml``, a child experiment with overrides and
  a ``_delete_``;
- ``MMENGINE_TREE``: the same configuration as MMEngine ``_base_`` .py files, in mmdet's own layout.
  bench.py checks that hydrareg's composition of ``exp.yaml`` and MMEngine's ``Config.fromfile`` of
  ``exp.py`` give the same resolved config.
"""

PACKAGES = {
    "hrb_root.py": '''\
"""The bench's registry roots: hydrareg's (always) and MMEngine's (when installed)."""
from hydrareg.registry import Registry

HR_ROOT = Registry("model", scope="hrb")
try:
    from mmengine.registry import Registry as MMRegistry
except ImportError:
    MM_ROOT = None
else:
    MM_ROOT = MMRegistry("model", scope="hrb")
''',
    "hrb_det/__init__.py": "",
    "hrb_det/registry.py": '''\
"""Scope hrb_det, as a library's registry.py (MMEngine imports f"{scope}.registry")."""
from hydrareg.registry import Registry
from hrb_root import HR_ROOT, MM_ROOT

HR = Registry("model", parent=HR_ROOT, scope="hrb_det")
if MM_ROOT is not None:
    from mmengine.registry import Registry as MMRegistry

    MM = MMRegistry("model", parent=MM_ROOT, scope="hrb_det")
else:
    MM = None
''',
    "hrb_cls/__init__.py": "",
    "hrb_cls/registry.py": '''\
"""Scope hrb_cls, the sibling library."""
from hydrareg.registry import Registry
from hrb_root import HR_ROOT, MM_ROOT

HR = Registry("model", parent=HR_ROOT, scope="hrb_cls")
if MM_ROOT is not None:
    from mmengine.registry import Registry as MMRegistry

    MM = MMRegistry("model", parent=MM_ROOT, scope="hrb_cls")
else:
    MM = None
''',
    "hrb_targets.py": '"""Home of the _target_ variant of the W1 classes; bench.py fills it in."""\n',
    "hrb_tasks.py": '''\
"""W5: a no-op task for run.py, imported by ${custom_imports:hrb_tasks}."""
from hydrareg_zoo.tasks import TASKS


@TASKS.register_module(name="bench_noop")
def bench_noop(cfg, output_dir):
    return {}
''',
}


HYDRA_TREE = {
    "exp.yaml": """\
# The child experiment: the base config, a ConvNeXt backbone replacing ResNet (_delete_), overrides.
defaults:
  - config
  - _self_
model:
  backbone:
    _delete_: true
    type: mmcls.ConvNeXt
    arch: tiny
    out_indices: [1, 2, 3]
    drop_path_rate: 0.4
    layer_scale_init_value: 1.0
    gap_before_final_norm: false
    init_cfg:
      type: Pretrained
      checkpoint: https://download.example.org/convnext-tiny_in1k.pth
      prefix: backbone.
  neck:
    in_channels: [192, 384, 768]
    start_level: 0
optim_wrapper:
  optimizer:
    lr: 0.0002
  clip_grad:
    max_norm: 35
    norm_type: 2
train_dataloader:
  batch_size: 4
work_dir: ./work_dirs/retinanet_convnext_custom
""",
    "config.yaml": """\
defaults:
  - model: retinanet
  - dataset: coco_detection
  - schedule: schedule_1x
  - runtime: default_runtime
  - _self_
seed: 0
work_dir: ./work_dirs/retinanet_r50_fpn_1x_coco
""",
    "model/retinanet.yaml": """\
defaults:
  - backbone: resnet50
  - neck: fpn
  - bbox_head: retina_head
  - _self_
type: RetinaNet
data_preprocessor:
  type: DetDataPreprocessor
  mean: [123.675, 116.28, 103.53]
  std: [58.395, 57.12, 57.375]
  bgr_to_rgb: true
  pad_size_divisor: 32
train_cfg:
  assigner:
    type: MaxIoUAssigner
    pos_iou_thr: 0.5
    neg_iou_thr: 0.4
    min_pos_iou: 0
    ignore_iof_thr: -1
  sampler:
    type: PseudoSampler
  allowed_border: -1
  pos_weight: -1
  debug: false
test_cfg:
  nms_pre: 1000
  min_bbox_size: 0
  score_thr: 0.05
  nms:
    type: nms
    iou_threshold: 0.5
  max_per_img: 100
""",
    "model/backbone/resnet50.yaml": """\
type: ResNet
depth: 50
num_stages: 4
out_indices: [0, 1, 2, 3]
frozen_stages: 1
norm_cfg:
  type: BN
  requires_grad: true
norm_eval: true
style: pytorch
init_cfg:
  type: Pretrained
  checkpoint: torchvision://resnet50
""",
    "model/neck/fpn.yaml": """\
type: FPN
in_channels: [256, 512, 1024, 2048]
out_channels: 256
start_level: 1
add_extra_convs: on_input
num_outs: 5
""",
    "model/bbox_head/retina_head.yaml": """\
type: RetinaHead
num_classes: ${num_classes}
in_channels: 256
stacked_convs: 4
feat_channels: 256
anchor_generator:
  type: AnchorGenerator
  octave_base_scale: 4
  scales_per_octave: 3
  ratios: [0.5, 1.0, 2.0]
  strides: [8, 16, 32, 64, 128]
bbox_coder:
  type: DeltaXYWHBBoxCoder
  target_means: [0.0, 0.0, 0.0, 0.0]
  target_stds: [1.0, 1.0, 1.0, 1.0]
loss_cls:
  type: FocalLoss
  use_sigmoid: true
  gamma: 2.0
  alpha: 0.25
  loss_weight: 1.0
loss_bbox:
  type: L1Loss
  loss_weight: 1.0
""",
    "dataset/coco_detection.yaml": """\
# @package _global_
dataset_type: CocoDataset
data_root: data/coco/
num_classes: 80
backend_args: null
train_pipeline:
  - type: LoadImageFromFile
    backend_args: ${backend_args}
  - type: LoadAnnotations
    with_bbox: true
  - type: Resize
    scale: [1333, 800]
    keep_ratio: true
  - type: RandomFlip
    prob: 0.5
  - type: PackDetInputs
test_pipeline:
  - type: LoadImageFromFile
    backend_args: ${backend_args}
  - type: Resize
    scale: [1333, 800]
    keep_ratio: true
  - type: LoadAnnotations
    with_bbox: true
  - type: PackDetInputs
    meta_keys: [img_id, img_path, ori_shape, img_shape, scale_factor]
train_dataloader:
  batch_size: 2
  num_workers: 2
  persistent_workers: true
  sampler:
    type: DefaultSampler
    shuffle: true
  batch_sampler:
    type: AspectRatioBatchSampler
  dataset:
    type: ${dataset_type}
    data_root: ${data_root}
    ann_file: annotations/instances_train2017.json
    data_prefix:
      img: train2017/
    filter_cfg:
      filter_empty_gt: true
      min_size: 32
    pipeline: ${train_pipeline}
    backend_args: ${backend_args}
val_dataloader:
  batch_size: 1
  num_workers: 2
  persistent_workers: true
  drop_last: false
  sampler:
    type: DefaultSampler
    shuffle: false
  dataset:
    type: ${dataset_type}
    data_root: ${data_root}
    ann_file: annotations/instances_val2017.json
    data_prefix:
      img: val2017/
    test_mode: true
    pipeline: ${test_pipeline}
    backend_args: ${backend_args}
test_dataloader: ${val_dataloader}
val_evaluator:
  type: CocoMetric
  ann_file: ${data_root}annotations/instances_val2017.json
  metric: bbox
  format_only: false
  backend_args: ${backend_args}
test_evaluator: ${val_evaluator}
""",
    "schedule/schedule_1x.yaml": """\
# @package _global_
max_epochs: 12
train_cfg:
  type: EpochBasedTrainLoop
  max_epochs: ${max_epochs}
  val_interval: 1
val_cfg:
  type: ValLoop
test_cfg:
  type: TestLoop
param_scheduler:
  - type: LinearLR
    start_factor: 0.001
    by_epoch: false
    begin: 0
    end: 500
  - type: MultiStepLR
    begin: 0
    end: ${max_epochs}
    by_epoch: true
    milestones: [8, 11]
    gamma: 0.1
optim_wrapper:
  type: OptimWrapper
  optimizer:
    type: SGD
    lr: 0.01
    momentum: 0.9
    weight_decay: 0.0001
auto_scale_lr:
  enable: false
  base_batch_size: 16
""",
    "runtime/default_runtime.yaml": """\
# @package _global_
default_scope: mmdet
default_hooks:
  timer:
    type: IterTimerHook
  logger:
    type: LoggerHook
    interval: 50
  param_scheduler:
    type: ParamSchedulerHook
  checkpoint:
    type: CheckpointHook
    interval: 1
  sampler_seed:
    type: DistSamplerSeedHook
  visualization:
    type: DetVisualizationHook
env_cfg:
  cudnn_benchmark: false
  mp_cfg:
    mp_start_method: fork
    opencv_num_threads: 0
  dist_cfg:
    backend: nccl
vis_backends:
  - type: LocalVisBackend
visualizer:
  type: DetLocalVisualizer
  vis_backends: ${vis_backends}
  name: visualizer
log_processor:
  type: LogProcessor
  window_size: 50
  by_epoch: true
log_level: INFO
load_from: null
resume: false
""",
}

MMENGINE_TREE = {
    "exp.py": """\
_base_ = './retinanet_r50_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcls.ConvNeXt',
        arch='tiny',
        out_indices=[1, 2, 3],
        drop_path_rate=0.4,
        layer_scale_init_value=1.0,
        gap_before_final_norm=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.example.org/convnext-tiny_in1k.pth',
            prefix='backbone.')),
    neck=dict(in_channels=[192, 384, 768], start_level=0))
optim_wrapper = dict(optimizer=dict(lr=0.0002), clip_grad=dict(max_norm=35, norm_type=2))
train_dataloader = dict(batch_size=4)
work_dir = './work_dirs/retinanet_convnext_custom'
""",
    "retinanet_r50_fpn_1x_coco.py": """\
_base_ = [
    '_base_/models/retinanet_r50_fpn.py', '_base_/datasets/coco_detection.py',
    '_base_/schedules/schedule_1x.py', '_base_/default_runtime.py'
]
seed = 0
work_dir = './work_dirs/retinanet_r50_fpn_1x_coco'
""",
    "_base_/models/retinanet_r50_fpn.py": """\
model = dict(
    type='RetinaNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=[0, 1, 2, 3],
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=1,
        add_extra_convs='on_input',
        num_outs=5),
    bbox_head=dict(
        type='RetinaHead',
        num_classes=80,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=3,
            ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0, ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000, min_bbox_size=0, score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))
""",
    "_base_/datasets/coco_detection.py": """\
dataset_type = 'CocoDataset'
data_root = 'data/coco/'
num_classes = 80
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=[1333, 800], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=[1333, 800], keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'])
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val2017.json',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
""",
    "_base_/schedules/schedule_1x.py": """\
max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=16)
""",
    "_base_/default_runtime.py": """\
default_scope = 'mmdet'
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
""",
}
