"""The deployment files agree with what ecusimd really serves."""
import os
import re

import yaml

import harness

DEPLOY = os.path.join(harness.SOURCE_DIR, "deploy")


def load_all(name):
    with open(os.path.join(DEPLOY, "k8s", name)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def test_kustomization_lists_existing_resources():
    kust = load_all("kustomization.yaml")[0]
    for res in kust["resources"]:
        assert os.path.exists(os.path.join(DEPLOY, "k8s", res)), res


def test_statefulset_probes_use_grpc_health_on_the_control_port():
    sts = load_all("statefulset.yaml")[0]
    assert sts["kind"] == "StatefulSet"
    assert sts["spec"]["selector"]["matchLabels"] == sts["spec"]["template"]["metadata"]["labels"]
    c = sts["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: (p["containerPort"], p["protocol"]) for p in c["ports"]}
    assert ports["grpc"] == (50051, "TCP")
    assert ports["metrics"] == (9464, "TCP")
    assert ports["doip-tcp"] == (13400, "TCP")
    assert c["readinessProbe"]["grpc"]["port"] == 50051
    assert c["livenessProbe"]["grpc"]["port"] == 50051


def test_configmap_template_is_a_valid_scenario_once_filled(tmp_path):
    import subprocess
    cm = load_all("configmap.yaml")[0]
    text = cm["data"]["vehicle.yaml.tmpl"]
    text = text.replace("${POD_NAME}", "ecusim-0").replace("${POD_IP}", "10.0.0.7")
    cfg = tmp_path / "vehicle.yaml"
    cfg.write_text(text)
    r = subprocess.run([harness.ECUSIMD, f"--config={cfg}", "--check_config"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_container_exposes_the_default_ports():
    text = open(os.path.join(DEPLOY, "Containerfile")).read()
    exposed = set(re.findall(r"(\d+)/(?:tcp|udp)", text))
    assert {"50051", "9464", "30490", "13400"} <= exposed
