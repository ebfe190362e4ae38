"""MLflow side of the platform: tracking connection, the model layout, the pyfunc model,
registration, promotion (stage + alias), the gate and the candidate comparison."""
