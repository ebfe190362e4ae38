"""The platform's core library and training package.

Light modules (settings, corpus schema, country detection, label schemes, preprocessing, the
ONNX predictor, the relation index) import no torch, so the crawler and serving images stay
small; training, export and registration live behind the `train` extra. Never imports `app`
or `crawler`. Command line: `newsmodel` (`newsmodel.cli`).
"""
