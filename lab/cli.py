"""python -m lab start|stop|serve|scene"""
import argparse
import json
import sys

from lab import process
from lab.config import SSM_DEFAULTS, LabConfig

DEFAULT_PORT = 5055


def _ssm_flag(key):
    return "--ssm-" + key.replace("_", "-")


def _add_server_options(parser):
    parser.add_argument("--execute-locally", action="store_true",
                        help="run AWS-RunShellScript commands for real with /bin/sh ON THIS MACHINE (off by default)")
    for key, default in SSM_DEFAULTS.items():
        parser.add_argument(_ssm_flag(key), dest=key, type=float, default=None, help=f"SSM emulator timing (default {default})")


def _server_args(args):
    """The serve flags that start passes on to the background process."""
    flags = ["--execute-locally"] if args.execute_locally else []
    for key in SSM_DEFAULTS:
        if getattr(args, key) is not None:
            flags += [_ssm_flag(key), str(getattr(args, key))]
    return flags


def _config(args):
    timings = {key: getattr(args, key) for key in SSM_DEFAULTS if getattr(args, key) is not None}
    return LabConfig(ssm=timings, execute_locally=args.execute_locally)


def _parser():
    parser = argparse.ArgumentParser(prog="python -m lab", description="Local AWS lab: moto plus an SSM Run Command emulator.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("start", "start a lab in the background"), ("serve", "run a lab in the foreground")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--port", type=int, default=DEFAULT_PORT)
        _add_server_options(sub)
    stop = commands.add_parser("stop", help="stop the background lab on a port")
    stop.add_argument("--port", type=int, default=DEFAULT_PORT)
    scene = commands.add_parser("scene", help="build a scene in a running lab and print it as JSON")
    scene.add_argument("--endpoint-url", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    scene.add_argument("--kind", choices=("demo", "fleet", "multi-vpc", "spot"), default="demo")
    scene.add_argument("--count", type=int, default=3, help="compromised instances of a fleet scene")
    scene.add_argument("--ticket", default="INC-123456")
    scene.add_argument("--region", default="us-east-1")
    return parser


def _scene(args):
    # Imported here: only this command needs boto3.
    from lab import scene  # pylint: disable=import-outside-toplevel

    from botocore.exceptions import ClientError  # pylint: disable=import-outside-toplevel

    try:
        if args.kind == "fleet":
            described = scene.build_fleet_scene(args.endpoint_url, args.count, region=args.region, ticket=args.ticket)
        else:
            build = {"demo": scene.build_demo_scene, "multi-vpc": scene.build_multi_vpc_scene, "spot": scene.build_spot_scene}[args.kind]
            described = build(args.endpoint_url, region=args.region, ticket=args.ticket)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("EntityAlreadyExists", "BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
        print(f"lab scene: this lab already holds a scene ({e.response['Error']['Message']}); a lab holds one scene: "
              f"stop it and start a new one (make lab-stop, make lab-start), or POST {args.endpoint_url}/moto-api/reset first", file=sys.stderr)
        return 1
    print(json.dumps(described, indent=2, sort_keys=True))
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "start":
        return process.start(args.port, _server_args(args))
    if args.command == "stop":
        return process.stop(args.port)
    if args.command == "scene":
        return _scene(args)
    from lab.server import serve  # pylint: disable=import-outside-toplevel  # moto loads only when serving

    try:
        serve(args.port, _config(args))
    except OSError as error:
        print(f"lab not started: cannot listen on 127.0.0.1:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    return 0
