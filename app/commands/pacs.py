"""``spineplan pacs``: talk to the department's PACS (DICOM networking or DICOMweb). No Qt.

* ``spineplan pacs echo``: is the PACS there (C-ECHO, or a QIDO-RS query), round trip in ms.
* ``spineplan pacs find [--patient-id ID] [--patient-name NAME] [--study-uid UID]
  [--modality MR] [--date-from YYYYMMDD] [--date-to YYYYMMDD] [--json]``: studies and their
  series.
* ``spineplan pacs get STUDY_UID [--series-uid UID] --out DIR``: every image into DIR (a new or
  empty folder), which ``spineplan info`` and ``spineplan plan`` read as any folder.
* ``spineplan pacs send PATH...``: files and folders (e.g. a ``spineplan plan`` output folder).
* ``spineplan pacs nodes add|list|remove|secret``: the PACS nodes kept in the user's settings
  (``secret`` keeps a node's password or token in the system keyring).

The PACS is ``--pacs NAME`` (a stored node), or ``--host H --port P --called-aet AE
[--calling-aet AE] [--move-port N] [--tls [--ca-file PEM] [--client-cert PEM --client-key
PEM] [--move-tls]]`` (DICOM networking, over TLS with ``--tls``), or ``--url URL [--ca-file
PEM] [--user U | --auth bearer]`` (DICOMweb). A node that authenticates gets its password from
``SPINEPLAN_PACS_PASSWORD`` (its token from ``SPINEPLAN_PACS_TOKEN``), else from the system
keyring, else by asking on the terminal; never from the command line (where ``ps`` shows it).
Exit status: 0 done, 1 partly done (the files that failed are listed), 2 bad input or no
connection (one line naming the PACS and what failed; a failed ``get`` leaves nothing in DIR).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from imaging.pacs.errors import PacsError, node_label
from imaging.pacs.nodes import (
    AUTH_BASIC,
    AUTH_BEARER,
    DEFAULT_CALLING_AET,
    PacsNode,
    load_nodes,
    node_named,
    nodes_file,
    save_nodes,
    validate_node,
)
from imaging.pacs.query import MAX_STUDIES

EXIT_DONE, EXIT_PARTLY, EXIT_BAD_INPUT = 0, 1, 2
#: Where the command line takes a node's password or bearer token from (before the keyring).
PASSWORD_VARIABLE, TOKEN_VARIABLE = "SPINEPLAN_PACS_PASSWORD", "SPINEPLAN_PACS_TOKEN"


def _add_node_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "which PACS",
        "a stored node (--pacs), a DIMSE node (--host, --port, --called-aet) or a "
        "DICOMweb URL (--url)",
    )
    group.add_argument("--pacs", metavar="NAME", help="a node stored with 'spineplan pacs nodes'")
    _add_address_arguments(group)


def _add_address_arguments(group: argparse._ActionsContainer) -> None:
    group.add_argument("--host", help="PACS host name or IP address (DIMSE)")
    group.add_argument("--port", metavar="P", help="PACS DICOM port, e.g. 104 or 4242")
    group.add_argument("--called-aet", metavar="AE", help="the PACS's AE title")
    group.add_argument(
        "--calling-aet", metavar="AE", help=f"spineplan's AE title (default {DEFAULT_CALLING_AET})"
    )
    group.add_argument(
        "--move-port",
        metavar="N",
        help="retrieve by C-MOVE, receiving on this local port (for a PACS without C-GET; "
        "it must know the calling AE title with this machine's address and that port)",
    )
    group.add_argument(
        "--tls",
        action="store_true",
        default=None,
        help="DICOM networking over TLS (PS3.15 Annex B); the PACS's certificate is verified",
    )
    group.add_argument(
        "--client-cert",
        metavar="PEM",
        help="--tls: this workstation's certificate, for a PACS that requires mutual TLS",
    )
    group.add_argument(
        "--client-key",
        metavar="PEM",
        help="--tls: the client certificate's private key (unencrypted PEM; only its path is "
        "stored)",
    )
    group.add_argument(
        "--move-tls",
        action="store_true",
        default=None,
        help="--tls with --move-port: receive C-MOVE images over TLS too, serving the client "
        "certificate (the PACS must call back with TLS)",
    )
    group.add_argument("--url", help="DICOMweb root URL, e.g. https://pacs:8042/dicom-web")
    group.add_argument(
        "--ca-file",
        metavar="PEM",
        help="https or --tls: trust only the certificate authorities in this PEM file "
        "(default: the system's)",
    )
    group.add_argument(
        "--user",
        metavar="USER",
        help=f"DICOMweb: HTTP Basic user (the password from ${PASSWORD_VARIABLE}, the keyring "
        "or asked for)",
    )
    group.add_argument(
        "--auth",
        choices=("none", AUTH_BASIC, AUTH_BEARER),
        help=f"DICOMweb authentication (--user means basic; bearer: the token from "
        f"${TOKEN_VARIABLE}, the keyring or asked for)",
    )


def _auth(args: argparse.Namespace) -> str | None:
    """The authentication asked for on the command line (None: not said)."""
    if args.auth is not None:
        return "" if args.auth == "none" else str(args.auth)
    return AUTH_BASIC if args.user else None


def _port(text: str | None, option: str) -> int:
    if text is None:
        return 0
    try:
        return int(text)
    except ValueError:
        raise PacsError(f"{option}: {text!r} is not a TCP port (1-65535)") from None


def _file(text: str | None, option: str) -> str:
    """The absolute path of a file given with ``option`` ("" when not given): a stored node
    must not depend on the folder the command ran in."""
    if not text:
        return ""
    path = Path(text).expanduser()
    if not path.is_file():
        raise PacsError(f"{option}: no file {str(path)!r}")
    return str(path.resolve())


def _tls_files(args: argparse.Namespace) -> dict[str, object]:
    """The TLS settings given on the command line (only those given)."""
    given: dict[str, object] = {}
    if args.tls:
        given["tls"] = True
    if args.move_tls:
        given["move_tls"] = True
    if args.ca_file:
        given["ca_file"] = _file(args.ca_file, "--ca-file")
    if args.client_cert:
        given["client_cert_file"] = _file(args.client_cert, "--client-cert")
    if args.client_key:
        given["client_key_file"] = _file(args.client_key, "--client-key")
    return given


def _node_from_address(args: argparse.Namespace, name: str) -> PacsNode:
    move_port = _port(args.move_port, "--move-port")
    node = PacsNode(
        name=name,
        host=args.host or "",
        port=_port(args.port, "--port"),
        called_aet=args.called_aet or "",
        calling_aet=args.calling_aet or DEFAULT_CALLING_AET,
        url=args.url or "",
        move_only=bool(move_port),
        move_port=move_port,
        auth=_auth(args) or "",
        user=args.user or "",
        **_tls_files(args),  # type: ignore[arg-type]
    )
    return validate_node(node)


def _node(args: argparse.Namespace) -> PacsNode:
    address = [args.host, args.port, args.called_aet, args.url]
    if args.pacs:
        if any(value is not None for value in address):
            raise PacsError("--pacs NAME or --host/--port/--called-aet or --url: give only one")
        node = node_named(args.pacs)
        overrides: dict[str, object] = {}
        if args.calling_aet:
            overrides["calling_aet"] = args.calling_aet
        if args.move_port:
            overrides.update(move_only=True, move_port=_port(args.move_port, "--move-port"))
        overrides.update(_tls_files(args))
        auth = _auth(args)
        if auth is not None:
            overrides.update(auth=auth, user=args.user or "")
        return validate_node(replace(node, **overrides)) if overrides else node  # type: ignore[arg-type]
    if all(value is None for value in address):
        known = ", ".join(node.name for node in load_nodes()) or "none stored"
        raise PacsError(
            f"which PACS? give --pacs NAME (stored: {known}), or --host, --port and "
            "--called-aet, or --url"
        )
    if args.url and any(value is not None for value in (args.host, args.port, args.called_aet)):
        raise PacsError("--url (DICOMweb) or --host/--port/--called-aet (DIMSE): not both")
    missing = [
        option
        for option, value in (
            ("--host", args.host),
            ("--port", args.port),
            ("--called-aet", args.called_aet),
        )
        if value is None
    ]
    if not args.url and missing:
        raise PacsError(
            f"a DIMSE node needs --host, --port and --called-aet: {', '.join(missing)} missing"
        )
    label = args.url or f"{args.host}:{args.port}"
    return _node_from_address(args, label)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    echo = actions.add_parser("echo", help="is the PACS there? (C-ECHO or a QIDO-RS query)")
    _add_node_arguments(echo)

    find = actions.add_parser("find", help="studies on the PACS with their series")
    find.add_argument("--patient-id", default="", metavar="ID")
    find.add_argument("--patient-name", default="", metavar="NAME", help="wildcards * and ?")
    find.add_argument("--study-uid", default="", metavar="UID")
    find.add_argument("--modality", default="", help="a modality in the study, e.g. MR")
    find.add_argument("--date-from", default="", metavar="YYYYMMDD", help="study date from")
    find.add_argument("--date-to", default="", metavar="YYYYMMDD", help="study date to")
    find.add_argument("--json", action="store_true", help="print JSON instead of a table")
    find.add_argument(
        "--max-studies",
        type=int,
        default=MAX_STUDIES,
        metavar="N",
        help=f"list at most N studies (default {MAX_STUDIES}); a longer list is cut, and said",
    )
    _add_node_arguments(find)

    get = actions.add_parser("get", help="retrieve every image of a study or series into DIR")
    get.add_argument("study_uid", metavar="STUDY_UID")
    get.add_argument("--series-uid", default="", metavar="UID", help="only this series")
    get.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    _add_node_arguments(get)

    send = actions.add_parser("send", help="send DICOM files and folders to the PACS")
    send.add_argument("paths", nargs="+", metavar="PATH", help="DICOM files or folders")
    _add_node_arguments(send)

    nodes = actions.add_parser("nodes", help="the PACS nodes kept in the settings")
    node_actions = nodes.add_subparsers(dest="nodes_action", metavar="ACTION", required=True)
    add = node_actions.add_parser("add", help="store a node (DIMSE or DICOMweb)")
    add.add_argument("name", help="the node's name, e.g. orthanc")
    _add_address_arguments(add)
    add.add_argument("--replace", action="store_true", help="replace a node of that name")
    listing = node_actions.add_parser("list", help="the stored nodes")
    listing.add_argument("--json", action="store_true", help="print the nodes file's JSON")
    remove = node_actions.add_parser("remove", help="forget a stored node")
    remove.add_argument("name")
    secret = node_actions.add_parser(
        "secret",
        help="keep a node's password or token in the system keyring (from "
        f"${PASSWORD_VARIABLE} / ${TOKEN_VARIABLE}, or asked for)",
    )
    secret.add_argument("name")
    secret.add_argument("--forget", action="store_true", help="remove it from the keyring")


def _describe(node: PacsNode) -> str:
    if node.kind == "dicomweb":
        extras = [f"CA file {node.ca_file}"] if node.ca_file else []
        if node.auth == AUTH_BASIC:
            extras.append(f"user {node.user}")
        elif node.auth == AUTH_BEARER:
            extras.append("bearer token")
        return f"{node.name}: DICOMweb {node.url}" + "".join(f", {extra}" for extra in extras)
    extras = [f"C-MOVE to port {node.move_port}"] if node.move_only else []
    if node.move_tls:
        extras[-1] += " over TLS"
    if node.tls:
        extras.append(f"TLS (CA file {node.ca_file})" if node.ca_file else "TLS")
    if node.client_cert_file:
        extras.append(f"client certificate {node.client_cert_file}")
    return (
        f"{node.name}: {node.host}:{node.port}, called AE {node.called_aet}, calling AE "
        f"{node.calling_aet}" + "".join(f", {extra}" for extra in extras)
    )


def _nodes(args: argparse.Namespace) -> int:
    nodes = load_nodes()
    if args.nodes_action == "list":
        if args.json:
            print(json.dumps({"nodes": [node.to_json() for node in nodes]}, indent=2))
        elif not nodes:
            print(f"no PACS nodes in {nodes_file()} (spineplan pacs nodes add)")
        else:
            print(f"PACS nodes in {nodes_file()}:")
            for node in nodes:
                print(f"  {_describe(node)}")
        return EXIT_DONE
    if args.nodes_action == "remove":
        kept = [node for node in nodes if node.name != args.name]
        if len(kept) == len(nodes):
            node_named(args.name)  # raises, listing the known names
        save_nodes(kept)
        print(f"removed PACS node {args.name}")
        return EXIT_DONE
    if args.nodes_action == "secret":
        return _keep_secret(node_named(args.name), forget=args.forget)
    node = _node_from_address(args, args.name)
    if any(existing.name == node.name for existing in nodes) and not args.replace:
        raise PacsError(f"a PACS node named {node.name!r} exists already (--replace replaces it)")
    save_nodes([existing for existing in nodes if existing.name != node.name] + [node])
    print(f"stored PACS node {_describe(node)} in {nodes_file()}")
    return EXIT_DONE


def _secret_variable(node: PacsNode) -> str:
    return PASSWORD_VARIABLE if node.auth == AUTH_BASIC else TOKEN_VARIABLE


def _ask_secret(node: PacsNode) -> str:
    """The secret typed on the terminal ("" when there is no terminal to ask on)."""
    if not sys.stdin.isatty():
        return ""
    who = f" of {node.user}" if node.user else ""
    return getpass.getpass(f"{node.secret_kind.capitalize()}{who} for {node_label(node)}: ")


def _keep_secret(node: PacsNode, *, forget: bool) -> int:
    from imaging.pacs.credentials import forget_secret, keyring_account, store_secret

    if not node.secret_kind:
        raise PacsError(f"{node_label(node)} does not authenticate: there is no secret to keep")
    if forget:
        had = forget_secret(node)
        print(
            f"{'removed' if had else 'no'} {node.secret_kind} of {node_label(node)} in the keyring"
        )
        return EXIT_DONE
    secret = os.environ.get(_secret_variable(node), "") or _ask_secret(node)
    if not secret:
        raise PacsError(
            f"{node_label(node)}: no {node.secret_kind} given (set ${_secret_variable(node)} "
            "or run on a terminal to be asked)"
        )
    store_secret(node, secret)
    account = keyring_account(node)
    print(f"kept the {node.secret_kind} of {node_label(node)} in the keyring ({account})")
    return EXIT_DONE


def with_credentials(node: PacsNode) -> PacsNode:
    """``node`` with its password or token: from the environment, else the system keyring,
    else asked for on the terminal.

    Raises
    ------
    PacsError
        None of them gave one, naming the node and the three ways to give it.
    """
    from imaging.pacs.credentials import stored_secret, with_secret

    if not node.secret_kind or node.secret:
        return node
    secret = os.environ.get(_secret_variable(node), "") or stored_secret(node) or _ask_secret(node)
    if not secret:
        raise PacsError(
            f"{node_label(node)} needs a {node.secret_kind}: set ${_secret_variable(node)}, keep "
            f"it in the keyring ('spineplan pacs nodes secret NAME'), or run on a terminal to be "
            "asked"
        )
    return with_secret(node, secret)


def _echo(node: PacsNode) -> int:
    from imaging.pacs.echo import echo

    seconds = echo(node)
    print(f"{node_label(node)} answered in {seconds * 1000:.0f} ms")
    return EXIT_DONE


def _find(node: PacsNode, args: argparse.Namespace) -> int:
    from imaging.pacs.query import search_studies, studies_json

    search = search_studies(
        node,
        patient_id=args.patient_id,
        patient_name=args.patient_name,
        study_uid=args.study_uid,
        modality=args.modality,
        date_from=args.date_from,
        date_to=args.date_to,
        max_studies=args.max_studies,
    )
    studies = search.studies
    if search.cut:
        print(f"spineplan: warning: {node_label(node)}: {search.cut_message}", file=sys.stderr)
    if args.json:
        print(json.dumps(studies_json(studies, cut=search.cut), indent=2))
        return EXIT_DONE
    if not studies:
        print(f"no studies on {node_label(node)} match")
        return EXIT_DONE
    for study in studies:
        print(
            f"{study.study_date or '--------'}  {study.patient_id}  {study.patient_name}  "
            f"{study.study_description}  {study.study_instance_uid}"
        )
        for series in study.series:
            number = "" if series.series_number is None else str(series.series_number)
            images = "?" if series.images is None else str(series.images)
            print(
                f"    {number:>4} {series.modality:<6} {images:>5} images  "
                f"{series.series_description}  {series.series_instance_uid}"
            )
    return EXIT_DONE


def _progress_printer() -> Callable[[int, int | None], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int | None) -> None:
        of = f" of {total}" if total else ""
        print(f"\r{done}{of} images", end="", file=sys.stderr, flush=True)

    return show


def _get(node: PacsNode, args: argparse.Namespace) -> int:
    from imaging.pacs.retrieve import retrieve

    progress = _progress_printer()
    try:
        result = retrieve(
            node,
            args.study_uid,
            args.out,
            series_uid=args.series_uid,
            progress=progress,
        )
    finally:
        if progress is not None:
            print(file=sys.stderr)
    what = f"series {args.series_uid}" if args.series_uid else f"study {args.study_uid}"
    print(
        f"retrieved {result.images} images of {what} from {node_label(node)} into {result.folder}"
    )
    return EXIT_DONE


def _send(node: PacsNode, args: argparse.Namespace) -> int:
    from imaging.pacs.send import send

    outcomes = send(node, args.paths)
    failed = [outcome for outcome in outcomes if not outcome.ok]
    stored = len(outcomes) - len(failed)
    for outcome in failed:
        print(f"not stored: {outcome.path}: {outcome.message}")
    print(f"sent {stored} of {len(outcomes)} files to {node_label(node)}")
    return EXIT_PARTLY if failed else EXIT_DONE


def run(args: argparse.Namespace) -> int:
    if args.action == "nodes":
        return _nodes(args)
    node = with_credentials(_node(args))
    if args.action == "echo":
        return _echo(node)
    if args.action == "find":
        return _find(node, args)
    if args.action == "get":
        return _get(node, args)
    return _send(node, args)
