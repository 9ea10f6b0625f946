"""The TD-MPC-style world model of the bundled example, in PyTorch.

Same architecture as ``tdmpc.mlir`` (a trained cart-pole swing-up model):
encoder (5 -> 192 -> 192 -> 24), dynamics and reward ((24 + 1) -> 192 ->
192 -> 24 / 1), pi (24 -> 192 -> 192 -> 1), ELU activations. ``forward``
rolls the latent out two steps and returns the summed predicted reward and
``tanh(pi(z))`` at the imagined final latent.
"""

import torch
from torch import nn


def mlp(inp, hidden, out):
    return nn.Sequential(nn.Linear(inp, hidden), nn.ELU(), nn.Linear(hidden, hidden), nn.ELU(), nn.Linear(hidden, out))


class TDMPC(nn.Module):
    def __init__(self, obs=5, act=1, latent=24, hidden=192):
        super().__init__()
        self.encoder = mlp(obs, hidden, latent)
        self.dynamics = mlp(latent + act, hidden, latent)
        self.reward = mlp(latent + act, hidden, 1)
        self.pi = mlp(latent, hidden, act)

    def forward(self, obs, actions):
        z = self.encoder(obs)
        rewards = []
        for t in range(actions.shape[1]):
            za = torch.cat([z, actions[:, t]], dim=1)
            rewards.append(self.reward(za))
            z = self.dynamics(za)
        return torch.stack(rewards).sum(0), torch.tanh(self.pi(z))
