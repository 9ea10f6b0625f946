"""nn.RNNCell, nn.GRUCell and nn.LSTMCell after mcprune cut them.

A cell's weights stack its gates along dim 0 (``weight_ih`` is
``(gates * hidden_size, input_size)``, ``weight_hh`` is
``(gates * hidden_size, hidden_size)``), and mcprune removes a hidden
channel from every gate at once: the report's row indices are those of all
the gates. Its input channels are the columns of ``weight_ih``.

When ``input_size == hidden_size`` the two weights have one shape; the
report tells them apart by their groups: ``weight_hh`` maps the hidden
state onto itself, so one group names both of its dims.
"""

from torch import nn


def pick_weights(found, recurrent):
    """Of the tensors a constant may hold (`found`, apply.Target), the
    cell's weight it is: ``weight_hh`` for a constant one group names on
    both dims (`recurrent`), ``weight_ih`` otherwise. The biases, which
    both lose the same rows, stay as found."""
    names = {t.name for t in found}
    if not {"weight_ih", "weight_hh"} <= names:
        return found
    drop = "weight_ih" if recurrent else "weight_hh"
    return [t for t in found if t.name != drop]


def narrow_rnn_cell(label, cell, plan, path):
    """Checks that the plan's cuts of `cell` remove the same hidden
    channels from every gate (and from ``weight_hh``'s columns) and
    returns the update that sets ``input_size`` and ``hidden_size`` after
    slicing; raises ReportError naming the cell otherwise."""
    from .apply import ReportError, _join

    hidden = cell.hidden_size
    gates = cell.weight_ih.shape[0] // hidden

    def removed(name, axis):
        return plan.get(_join(path, name), {}).get(axis, frozenset())

    lost = removed("weight_hh", 1)
    rows = frozenset(g * hidden + i for g in range(gates) for i in lost)
    row_cuts = [("weight_ih", 0), ("weight_hh", 0)]
    if cell.bias:
        row_cuts += [("bias_ih", 0), ("bias_hh", 0)]
    for name, axis in row_cuts:
        if removed(name, axis) != rows:
            raise ReportError(
                f"{label}: the report removes rows {sorted(removed(name, axis))[:8]}... from {name}, not the "
                f"hidden channels {sorted(lost)[:8]}... of each of its {gates} gates"
            )

    def update():
        cell.input_size = cell.weight_ih.shape[1]
        cell.hidden_size = cell.weight_hh.shape[1]

    return update


def is_rnn_cell(module):
    return isinstance(module, nn.RNNCellBase)
