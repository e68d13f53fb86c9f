"""``hydrareg doctor``: which of hydrareg's patches of Hydra are live in this environment, and why not."""

from __future__ import annotations

__all__ = ["doctor_report"]


def doctor_report() -> tuple[str, bool]:
    """The report, and whether ``_delete_`` is applied (the one patch a config's meaning depends on)."""
    import hydra
    import omegaconf

    from .patches import ENV_SWITCH, install, patches_enabled

    states = install()
    lines = [
        f"Hydra {hydra.__version__}, OmegaConf {omegaconf.__version__}",
        f"patches: {'on' if patches_enabled() else f'off ({ENV_SWITCH}=0 or set_patches_enabled(False))'}",
        "",
    ]
    width = max(len(state.patch.name) for state in states)
    for state in states:
        mark = "live" if state.live else "off "
        lines.append(f"  {state.patch.name:<{width}}  {mark}  {state.patch.purpose}")
        if not state.live:
            lines.append(f"  {'':<{width}}        {state.reason}")
    compose_live = any(state.live for state in states if state.patch.name == "compose")
    guard_live = any(state.live for state in states if state.patch.name == "delete_guard")
    lines.append("")
    if compose_live:
        lines.append("_delete_: applied while composing")
    elif guard_live:
        lines.append("_delete_: refused while composing (an error names the file)")
    else:
        lines.append("_delete_: refused by hydrareg.instantiate (composition leaves the marker in place)")
    return "\n".join(lines), compose_live
