namespace Federation.Contracts.Signing;

/// <summary>
/// The privacy charge of one model-update release, as the gateway's accountant computed it and signed it into the
/// manifest (<see cref="DocumentTypes.ContributionManifestV3"/>), so an auditor can recompute every factory's spending
/// per task from the history alone (<c>fedctl audit privacy</c>; docs/PRIVACY.md, section 3, has the arithmetic).
/// </summary>
/// <param name="Mechanism">
/// <see cref="DpSgd"/> (DP-SGD: the built-in trainers and pinned external ones) or <see cref="WholeUpdateGaussian"/>
/// (an unpinned external trainer's update, clipped and noised once by the gateway: q = 1, one step).
/// </param>
/// <param name="SamplingRate">q, the Poisson sampling rate of each step, in (0, 1].</param>
/// <param name="Steps">T, the noisy steps composed.</param>
/// <param name="ClippingNorm">C: each step's sum has L2 sensitivity C to one record.</param>
/// <param name="NoiseMultiplier">z: each step's noise is N(0, (z·C)²) per coordinate.</param>
/// <param name="Epsilon">ε of this release alone, at <paramref name="Delta"/>.</param>
/// <param name="EpsilonInWindow">ε of every release of this task in the budget window ending with this one (this one included), at <paramref name="Delta"/>.</param>
/// <param name="BudgetEpsilon">The ε budget of the policy the release was made under, for the task.</param>
/// <param name="Delta">The policy's δ.</param>
/// <param name="WindowSeconds">The policy's budget window, in seconds.</param>
public sealed record ReleasePrivacy(
    string Mechanism,
    double SamplingRate,
    int Steps,
    double ClippingNorm,
    double NoiseMultiplier,
    double Epsilon,
    double EpsilonInWindow,
    double BudgetEpsilon,
    double Delta,
    long WindowSeconds)
{
    /// <summary>The mechanism name of DP-SGD.</summary>
    public const string DpSgd = "dp-sgd";

    /// <summary>The mechanism name of the gateway's one Gaussian release of a whole clipped update.</summary>
    public const string WholeUpdateGaussian = "gaussian-whole-update";
}
