"""Demo downstream libraries in the OpenMMLab style, built on hydrareg's registry tree.

Each subpackage plays one OpenMMLab library and registers under that library's scope
(``mmcls``, ``mmdet``, ``mmtrack``, ``mmrotate``) without taking its package name, so a real
``mmdet`` installed beside it is never shadowed. ``common`` plays the part of mmcv/mmengine.model.
Nothing here is imported by ``import hydrareg``; a config's ``type: mmdet.YOLOX`` loads ``mmdet``'s
registries through the package's declared scopes (see pyproject.toml), and the registries load
their models lazily through ``locations``.

Importing this package registers the ``${backbone_channels:model.backbone}`` resolver (see
:mod:`hydrareg_zoo.common.resolvers`) and imports neither torch nor numpy.
"""

from .common.resolvers import register_resolvers

register_resolvers()
