"""ONNX export, fp32 parity, int8 quantization and CPU speed measurement."""
