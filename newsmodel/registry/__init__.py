"""MLflow side of the platform: tracking connection, the model layout, the pyfunc model,
registration (`candidate`: digests, quality-floor verdict, model card as description), the one
live-version resolver (`live`), the verified download cache (`model_files`), promotion (stage +
alias), the gate (frozen benchmark, manifest-checked, paired bootstrap) and the comparison."""
