"""Second model of Seldon's tags e2e test: its `common` tag overrides ModelOne's."""


class ModelTwo:
    def predict(self, X, feature_names, meta):
        return ["model-2"]

    def tags(self):
        return {"model-2": "yes", "common": 2}
