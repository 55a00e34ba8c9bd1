namespace Federation.Contracts.Messages;

/// <summary>How every invited gateway trains locally in a round.</summary>
/// <param name="Epochs">Passes over the gateway's local training data.</param>
/// <param name="BatchSize">Samples per mini-batch.</param>
/// <param name="LearningRate">SGD step size.</param>
/// <param name="Seed">Seed for local shuffling, so a round is reproducible.</param>
/// <param name="ProximalMu">FedProx proximal weight μ (Li et al. 2020); 0 trains plain SGD.</param>
public sealed record TrainingPlan(int Epochs, int BatchSize, double LearningRate, int Seed, double ProximalMu);
