"""The Ray worker set-up hook (no Ray needed): a worker moves into the sweep driver's directory."""

from __future__ import annotations

import logging
import os

import pytest
from conftest import REPO
from omegaconf import OmegaConf

from hydrareg.ray_worker import DRIVER_CWD_VARIABLE, follow_driver_directory


@pytest.fixture
def restore_cwd():
    before = os.getcwd()
    yield
    os.chdir(before)


def test_the_worker_changes_into_the_drivers_directory(tmp_path, monkeypatch, restore_cwd):
    monkeypatch.setenv(DRIVER_CWD_VARIABLE, str(tmp_path))
    follow_driver_directory()
    assert os.getcwd() == str(tmp_path)


def test_a_node_without_that_directory_stays_where_it_is_and_says_so(
    tmp_path, monkeypatch, restore_cwd, caplog
):
    monkeypatch.setenv(DRIVER_CWD_VARIABLE, str(tmp_path / "elsewhere"))
    before = os.getcwd()
    with caplog.at_level(logging.WARNING, logger="hydrareg.ray_worker"):
        follow_driver_directory()
    assert os.getcwd() == before
    assert f"{tmp_path / 'elsewhere'} does not exist on this Ray node" in caplog.text


def test_without_the_variable_nothing_changes(monkeypatch, restore_cwd):
    monkeypatch.delenv(DRIVER_CWD_VARIABLE, raising=False)
    before = os.getcwd()
    follow_driver_directory()
    assert os.getcwd() == before


def test_the_launcher_config_names_the_hook_and_the_variable():
    launcher = OmegaConf.load(REPO / "conf" / "hydra" / "launcher" / "ray_cluster.yaml")
    runtime_env = launcher.ray.init.runtime_env
    assert (
        runtime_env.worker_process_setup_hook
        == f"{follow_driver_directory.__module__}.follow_driver_directory"
    )
    assert OmegaConf.to_container(runtime_env.env_vars)[DRIVER_CWD_VARIABLE] == "${hydra.runtime.cwd}"
