"""deploy/: every file parses, validates against its schema where one is available offline, and runs only
commands that the `arshif` CLI accepts, with stop timeouts longer than the service's grace period."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crawler.config import load_settings
from crawler.sites import SITES
from jobs.cli import COMMANDS, build_parser
from crawler.run.lock import LockBusy

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())


def example_settings(path: Path = DEPLOY / "settings.example.toml"):
    return load_settings(path, environ={})


def stop_budget(settings) -> float:
    """What a stop may take: the grace period, then the crawls' own stop timeout."""
    return settings.service.grace + settings.service.stop_timeout


def check_cli(argv: list[str]) -> None:
    """``arshif ARGV`` is a valid invocation (sub-command, options, site names)."""
    assert argv[0] in COMMANDS, f"unknown sub-command {argv[0]!r} in {argv}"
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"arshif {' '.join(argv)}: rejected by the CLI")
    for site in getattr(args, "sites", []):
        assert site in SITES, f"unknown site {site!r} in {argv}"


def arshif_argv(command: str) -> list[str]:
    """The arguments after the ``arshif`` executable in a shell command line."""
    words = shlex.split(command)
    start = next(i for i, w in enumerate(words) if w.endswith("/bin/arshif") or w == "arshif")
    end = next((i for i, w in enumerate(words) if i > start and (w in ("&&", "||", ";") or w.startswith(("2>", ">")))),
               len(words))
    return words[start + 1:end]


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def seconds(value: str) -> float:
    units = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    match = re.fullmatch(r"(\d+)\s*([a-z]*)", value)
    return int(match.group(1)) * units.get(match.group(2) or "s", 1)


# -- settings ---------------------------------------------------------------------------------------------

def test_example_settings_are_valid():
    settings = example_settings()
    assert settings.archive.state_dir == "/var/lib/arshif/state"
    assert {site.cron or site.every for site in settings.sites.values()} == {"*/30 * * * *", 1800.0}


# -- systemd ---------------------------------------------------------------------------------------------

def test_units_run_cli_commands_and_outlast_the_grace_period():
    budget = stop_budget(example_settings())
    units = {path.name: parse_unit(path) for path in UNITS}
    serve = units["arshif.service"]["Service"]
    assert arshif_argv(serve["ExecStart"][0]) == ["serve"]
    assert serve["KillMode"] == ["mixed"]  # SIGTERM to serve alone: it manages its crawls' shutdown
    assert seconds(serve["TimeoutStopSec"][0]) > budget
    crawl = units["arshif-crawl@.service"]["Service"]
    assert crawl["Type"] == ["oneshot"]
    check_cli([w.replace("%i", "elbalad") for w in arshif_argv(crawl["ExecStart"][0])])
    assert str(LockBusy.exit_code) in crawl["SuccessExitStatus"][0].split()
    for unit in (serve, crawl):
        assert unit["User"] == ["arshif"] and unit["Environment"] == ["ARSHIF_SETTINGS=/etc/arshif/settings.toml"]
    assert units["arshif-crawl@.timer"]["Timer"]["Persistent"] == ["true"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path):
    """Verified with the binary and user of this machine (the units name /opt/arshif and the arshif user)."""
    arshif = Path(sys.executable).with_name("arshif")
    for path in UNITS:
        text = (path.read_text().replace("/opt/arshif/.venv/bin/arshif", str(arshif))
                .replace("User=arshif", "User=root").replace("Group=arshif", "Group=root"))
        name = path.name.replace("@.", "@elbalad.")
        (tmp_path / name).write_text(text)
    names = sorted(p.name for p in tmp_path.iterdir())
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines() if "arshif" in line or "Failed" in line]
    assert done.returncode == 0 and not problems, done.stderr


def test_crontab_runs_a_locked_crawl_per_site():
    jobs = [line for line in (DEPLOY / "cron" / "arshif.crontab").read_text().splitlines()
            if line and not line.startswith("#") and "=" not in line.split()[0]]
    sites = set()
    for line in jobs:
        argv = arshif_argv(" ".join(line.split()[5:]))
        check_cli(argv)
        assert argv[0] == "crawl"
        sites.update(argv[1:])
    assert sites == set(SITES)


# -- docker ----------------------------------------------------------------------------------------------

def test_dockerfile_is_slim_non_root_and_runs_the_cli():
    dockerfile = pytest.importorskip("dockerfile")
    commands = dockerfile.parse_file(str(DEPLOY / "Dockerfile"))
    by = {}
    for command in commands:
        by.setdefault(command.cmd.upper(), []).append(command.value)
    assert by["FROM"] == [("python:3.11-slim",)]
    [user] = by["USER"]
    assert user[0].split(":")[0] not in ("root", "0")
    assert by["ENTRYPOINT"][-1][-1] == "arshif"
    check_cli(list(by["CMD"][-1]))
    for value in by["COPY"]:
        for source in value[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_dockerignore_keeps_what_the_image_copies():
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[1] == "*" or "*" in ignore
    for needed in ("pyproject.toml", "README.md", "settings.toml", "crawler/", "jobs/"):
        assert f"!{needed}" in ignore


def test_compose_runs_serve_against_minio():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"minio", "bucket", "arshif"} <= services.keys()
    arshif = services["arshif"]
    check_cli(arshif["command"])
    env = arshif["environment"]
    assert env["ARSHIF_ARCHIVE__URL"].startswith("s3://")
    assert env["ARSHIF_ARCHIVE__S3__ENDPOINT_URL"] == "http://minio:9000"
    assert all(env[k].startswith("${") for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
    mounted = [v.split(":")[0] for v in arshif["volumes"] if v.startswith("./")]
    assert mounted == ["./settings.example.toml"] and (DEPLOY / mounted[0]).exists()
    assert seconds(arshif["stop_grace_period"]) > stop_budget(example_settings())
    assert arshif["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert "MINIO_ROOT_PASSWORD" in (DEPLOY / ".env.example").read_text()


def test_compose_matches_the_compose_spec():
    pytest.importorskip("check_jsonschema")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(DEPLOY / "docker-compose.yml")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# -- kubernetes ------------------------------------------------------------------------------------------

def k8s_docs():
    return [doc for path in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_kubernetes_manifests_match_the_api_schemas():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for doc in k8s_docs():
        kubernetes_validate.validate(doc, "1.30.0", strict=True)


def test_kubernetes_settings_credentials_and_commands(tmp_path):
    docs = {(d["kind"], d["metadata"]["name"]): d for d in k8s_docs()}
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text(docs["ConfigMap", "arshif-settings"]["data"]["settings.toml"])
    settings = example_settings(settings_file)
    assert settings.archive.url.startswith("s3://") and settings.service.metrics_port
    assert set(docs["Secret", "arshif-credentials"]["stringData"]) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert "access_key" not in docs["ConfigMap", "arshif-settings"]["data"]["settings.toml"].lower()

    deployment = docs["Deployment", "arshif"]
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    pod = deployment["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > stop_budget(settings)
    cronjobs = [d for (kind, _), d in docs.items() if kind == "CronJob"]
    pods = [pod] + [c["spec"]["jobTemplate"]["spec"]["template"]["spec"] for c in cronjobs]
    crawled = set()
    for spec in pods:
        [container] = spec["containers"]
        check_cli(container["args"])
        if container["args"][0] == "crawl":
            crawled.update(container["args"][1:])
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert container["envFrom"] == [{"secretRef": {"name": "arshif-credentials"}}]
        assert {"name": "ARSHIF_SETTINGS", "value": "/etc/arshif/settings.toml"} in container["env"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes[mounts["/etc/arshif"]]["configMap"]["name"] == "arshif-settings"
        assert volumes[mounts[settings.archive.state_dir]]["persistentVolumeClaim"]["claimName"] == "arshif-state"
    assert crawled == set(SITES)
    assert all(c["spec"]["concurrencyPolicy"] == "Forbid" for c in cronjobs)
