"""A simulated Slack, strict as Slack, for the bot's tests, its benchmarks and `python -m bot sandbox`.

Both sides of Slack are here.  Towards the bot's WebClient, ``SimulatedSlack`` serves the Web API over real HTTP
(server.py; the methods in methods.py; what each method requires and which scopes it needs in the project's own
table, web_api.json, read by web_api.py; Block Kit checks in block_kit.py; workspaces in workspaces.py).
Towards the bot's request handler, ``Driver`` sends what Slack sends an app (slash commands, clicks, modal
submissions, events), signed with Slack's v0 scheme (driver.py)::

    slack = SimulatedSlack(scopes=["chat:write", "im:write"])
    token = slack.add_team("T1")
    slack.add_channel("T1", "C1", name="procurement", members=["U1"])
    client = WebClient(token=token, base_url=slack.api_url)

It ships with the product because the sandbox runs on it; nothing here reads anything outside this folder.
"""

from .driver import AppServer, Driver, NoSuchButton, Reply, RequestFailed, find_button, sign
from .server import Fault, Installation, SimulatedSlack, scope_list
from .web_api import ApiError, Method, WebApi
from .workspaces import Call, Channel, Event, Message, UploadedFile, User, ViewRecord

__all__ = [
    "ApiError",
    "AppServer",
    "Call",
    "Channel",
    "Driver",
    "Event",
    "Fault",
    "Installation",
    "Message",
    "Method",
    "NoSuchButton",
    "Reply",
    "RequestFailed",
    "SimulatedSlack",
    "UploadedFile",
    "User",
    "ViewRecord",
    "WebApi",
    "find_button",
    "scope_list",
    "sign",
]
