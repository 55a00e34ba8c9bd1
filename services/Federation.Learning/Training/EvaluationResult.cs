namespace Federation.Learning.Training;

/// <summary>How well a model does on a dataset.</summary>
/// <param name="Accuracy">The fraction of samples whose most probable class is the label, in [0, 1].</param>
/// <param name="Loss">The mean cross-entropy −ln p(label).</param>
/// <param name="SampleCount">The number of samples measured; 0 means there was nothing to measure (accuracy and loss are then 0).</param>
public sealed record EvaluationResult(double Accuracy, double Loss, long SampleCount);
