"""What the API answers to a query it cannot answer: 400, as every JSON answer of the site
does (``tracker.public.refuse``): ``{"errors": "parameter: message"}``, one line each."""

from rest_framework.exceptions import APIException


class InvalidQuery(APIException):
    status_code = 400
    default_code = "invalid_query"

    def __init__(self, lines):
        super().__init__({"errors": lines})
