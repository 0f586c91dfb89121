"""A fake Slack Web API for the test suite: the only stand-in at the Slack boundary.

Use the real slack_sdk WebClient against it::

    slack = FakeSlack()
    token = slack.add_team("T1")
    slack.add_channel("T1", "C1", name="procurement", members=["U1"])
    client = WebClient(token=token, base_url=slack.api_url)

See ``server.FakeSlack`` for the test-facing API, ``methods`` for the implemented Web API methods and
``validation`` for what gets rejected.
"""

from .server import Fault, FakeSlack
from .state import Call, Channel, Message, UploadedFile, User, ViewRecord
from .validation import ApiError, MethodCatalog, reference_dir

__all__ = [
    "ApiError", "Call", "Channel", "FakeSlack", "Fault", "Message", "MethodCatalog", "UploadedFile", "User",
    "ViewRecord", "reference_dir",
]
