namespace Federation.Learning.Privacy;

/// <summary>An (ε, δ) guarantee and the Rényi order that gave it.</summary>
/// <param name="Epsilon">ε; non-negative, <see cref="double.PositiveInfinity"/> when no order gives a finite bound.</param>
/// <param name="Delta">δ, as asked for.</param>
/// <param name="OptimalOrder">The order α at which the minimum was attained.</param>
public readonly record struct PrivacySpent(double Epsilon, double Delta, double OptimalOrder);
