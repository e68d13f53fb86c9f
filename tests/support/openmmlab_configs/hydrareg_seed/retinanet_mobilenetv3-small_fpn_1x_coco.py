# RetinaNet from MMDetection with MMPretrain's MobileNetV3-small as its backbone (MMEngine config).
# tests/test_openmmlab_real.py puts this file next to MMDetection's shipped configs and converts them all.
_base_ = ["../retinanet/retinanet_r50_fpn_1x_coco.py"]

# mmpretrain's backbones are registered when mmpretrain.models is imported.
custom_imports = dict(imports=["mmpretrain.models"], allow_failed_imports=False)

checkpoint = (
    "https://download.openmmlab.com/mmclassification/v0/mobilenet_v3/convert/mobilenet_v3_small-8427ecf0.pth"
)
model = dict(
    backbone=dict(
        _delete_=True,  # none of ResNet-50's keys
        type="mmpretrain.MobileNetV3",
        arch="small",
        out_indices=(3, 8, 11),
        init_cfg=dict(type="Pretrained", checkpoint=checkpoint, prefix="backbone."),
    ),
    # the output channels of MobileNetV3-small's layers 3, 8 and 11
    neck=dict(in_channels=[24, 48, 96], start_level=0),
)
