"""A detector on MMEngine's BaseModel: data_preprocessor, own children, TASK_UTILS parts."""

from mmengine.model import BaseDataPreprocessor, BaseModel
from torch import nn

from .registry import MODELS, TASK_UTILS


@MODELS.register_module()
class TinyDetPreprocessor(BaseDataPreprocessor):
    """Scales the inputs; found by BaseModel only through MMEngine's default scope."""

    def __init__(self, scale=1.0, non_blocking=False):
        super().__init__(non_blocking)
        self.scale = scale

    def forward(self, data, training=False):
        data = super().forward(data, training)
        return {**data, "inputs": data["inputs"] * self.scale}


@MODELS.register_module()
class TinyBackbone(nn.Module):
    def __init__(self, in_channels=3, channels=8):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.out_channels = channels

    def forward(self, x):
        return (self.conv(x),)


@MODELS.register_module()
class TinyHead(nn.Module):
    """Builds its anchor generator and coder through TASK_UTILS, as mmdet's heads do."""

    def __init__(self, in_channels, anchor_generator, bbox_coder, num_classes=2):
        super().__init__()
        self.anchor_generator = TASK_UTILS.build(anchor_generator)
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        anchors = self.anchor_generator.num_base_anchors
        self.cls = nn.Conv2d(in_channels, anchors * num_classes, 1)
        self.reg = nn.Conv2d(in_channels, anchors * 4, 1)

    def forward(self, feats):
        feat = feats[-1]
        return self.cls(feat), self.bbox_coder.decode(self.reg(feat))


@MODELS.register_module()
class TinyDetector(BaseModel):
    def __init__(self, backbone, head, data_preprocessor=None, test_cfg=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        channels = self.backbone.out_channels
        head = dict(head)
        head.setdefault("in_channels", channels[-1] if isinstance(channels, (list, tuple)) else channels)
        self.head = MODELS.build(head)
        self.test_cfg = test_cfg

    def forward(self, inputs, data_samples=None, mode="tensor"):
        scores, boxes = self.head(self.backbone(inputs))
        if mode == "tensor":
            return scores, boxes
        # mmdet reads its test_cfg by attribute (test_cfg.nms.iou_threshold)
        keep = scores.flatten(1).sigmoid() > self.test_cfg.score_thr
        return [{"kept": int(row.sum()), "iou": self.test_cfg.nms.iou_threshold} for row in keep]
