using Federation.Learning.Data;

namespace Federation.Vault.Datasets;

/// <summary>Data that stays on site: what the gateway trains on and what it evaluates on.</summary>
/// <param name="Training">Local training samples.</param>
/// <param name="Holdout">Local held-out samples for evaluating published models.</param>
public sealed record LocalData(Dataset Training, Dataset Holdout);
