"""Classes for the role-method corpus case: one serves no role the flow gives it."""


class Scaler:
    def transform_input(self, X, features_names=None):
        return X


class Merge:
    def aggregate(self, Xs, features_names):
        return Xs[0]
