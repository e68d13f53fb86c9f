"""Build only ``cfg.model.backbone``, feed it a dummy image and print each output level's shape.

The OpenMMLab FAQ's trick for finding a neck's ``in_channels``: run the backbone alone. From the
repository root::

    python scripts/backbone_channels.py backbone=mmcls_convnext
    python scripts/backbone_channels.py backbone=mmcls_mobilenetv3 +image_size=224

``+image_size`` sets the side of the square dummy image (default 64). A ``_scope_`` set on the
model applies to the backbone, as it would when the whole model is built.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

import hydrareg_zoo  # noqa: F401  (registers ${backbone_channels:...}, used by the composed config)

DEFAULT_IMAGE_SIZE = 64


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    import torch

    from hydrareg import keys
    from hydrareg.registry import MODELS

    with MODELS.switch_scope_and_registry(cfg.model.get(keys.SCOPE)) as registry:
        backbone = registry.build(cfg.model.backbone)
    backbone.eval()
    size = int(cfg.get("image_size", DEFAULT_IMAGE_SIZE))
    image = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        outputs = backbone(image)
    params = sum(p.numel() for p in backbone.parameters()) / 1e6
    print(f"{cfg.model.backbone.type} ({params:.2f}M parameters), input {tuple(image.shape)}")
    declared = list(getattr(backbone, "out_channels", [None] * len(outputs)))
    for level, (output, channels) in enumerate(zip(outputs, declared, strict=False)):
        print(f"  level {level}: {tuple(output.shape)}  (out_channels[{level}] = {channels})")


if __name__ == "__main__":
    main()
