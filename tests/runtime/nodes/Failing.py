"""A model that fails: a Seldon error with the given status, or a plain exception (500)."""

from seldon_core.flask_utils import SeldonMicroserviceException


class Failing:
    def __init__(self, status=409, message="model says no"):
        self.status = int(status)
        self.message = message

    def predict(self, X, names):
        if self.status == 500:
            raise RuntimeError(self.message)
        raise SeldonMicroserviceException(self.message, status_code=self.status)
