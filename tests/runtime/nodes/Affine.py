"""y = X * mul + add, tagged with the node's name: shows the order nodes ran in."""

import numpy as np


class Affine:
    def __init__(self, name="affine", mul=1.0, add=0.0):
        self.name = name
        self.mul = float(mul)
        self.add = float(add)

    def predict(self, X, names, meta=None):
        return np.asarray(X, dtype=float) * self.mul + self.add

    def tags(self):
        return {self.name: "yes", "last": self.name}
