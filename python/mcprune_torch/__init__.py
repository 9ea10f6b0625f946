"""Export PyTorch modules to MLIR that mcprune-opt understands.

torch-mlir's FX importer records file:line locations only. mcprune finds a
network's components (encoder, dynamics, ...) from module paths, so the
exporter wraps each op's location in a name location carrying the path of
the ``nn.Module`` that produced it (``encoder.net.0``), taken from the FX
node's ``nn_module_stack``.

Use ``from mcprune_torch.export import export``, or the command line
``python -m mcprune_torch.export``. (The package imports nothing itself, so
that the command line runs the module exactly once.)

``from mcprune_torch import apply_report`` (mcprune_torch.apply) applies a
``component-prune`` report to the PyTorch model, for fine-tuning; it is
loaded on first use, for the same reason.
"""

__all__ = ["apply_report"]


def __getattr__(name):
    if name == "apply_report":
        from .apply import apply_report

        return apply_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
