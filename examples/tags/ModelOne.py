"""First model of Seldon's tags e2e test (testing/s2i/python-features/tags): a constant and tags."""


class ModelOne:
    def predict(self, X, feature_names, meta):
        return ["model-1"]

    def tags(self):
        return {"model-1": "yes", "common": 1}
