using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>How the second moment is updated (Reddi et al. 2021, Algorithm 2).</summary>
internal enum SecondMoment
{
    /// <summary>v ← β₂·v + (1 − β₂)·Δ².</summary>
    Adam,

    /// <summary>v ← v − (1 − β₂)·Δ²·sign(v − Δ²).</summary>
    Yogi,

    /// <summary>v ← v + Δ².</summary>
    Adagrad,
}

/// <summary>The FedOpt family's shared arithmetic: moments of the mean delta and the adaptive step.</summary>
internal static class AdaptiveOptimizer
{
    private static readonly string[] StatePrefixes = ["m/", "v/"];

    /// <summary>
    /// Folds the mean delta into the moments and returns the result. With the exponent t + 1 for bias correction
    /// (t = this aggregation's 1-based round) to match Flower's fedadam.py, which uses <c>server_round + 1.0</c>.
    /// </summary>
    public static AggregationResult Aggregate(
        string name,
        SecondMoment kind,
        double eta,
        double beta1,
        double beta2,
        double tau,
        bool biasCorrection,
        TensorSet globalModel,
        IEnumerable<ClientUpdate> updates,
        StrategyState? state)
    {
        ArgumentNullException.ThrowIfNull(globalModel);
        if (state is not null)
        {
            UpdateValidation.CheckState(name, globalModel, state, StatePrefixes);
            foreach (var tensor in state.Tensors)
            {
                if (tensor.Name.StartsWith("v/", StringComparison.Ordinal) && tensor.Values.Length > 0 && TensorPrimitives.Min(tensor.Values) < 0)
                {
                    throw new StrategyInputException($"the {name} state's second moment '{tensor.Name}' has a negative value");
                }
            }
        }

        var mean = MeanOfUpdates.Compute(name, globalModel, updates);
        long round = (state?.Round ?? 0) + 1;
        double rate = biasCorrection
            ? eta * Math.Sqrt(1 - StrategyMath.Power(beta2, round + 1)) / (1 - StrategyMath.Power(beta1, round + 1))
            : eta;

        float etaT = (float)rate;
        float b1 = (float)beta1;
        float c1 = (float)(1 - beta1);
        float b2 = (float)beta2;
        float c2 = (float)(1 - beta2);
        float tauF = (float)tau;

        var moments = new List<Tensor>(2 * globalModel.Count);
        for (int t = 0; t < globalModel.Count; t++)
        {
            var tensor = globalModel[t];
            var mPrevious = state?.Tensors["m/" + tensor.Name].Values;
            var vPrevious = state?.Tensors["v/" + tensor.Name].Values;
            var delta = mean.Average[t].Values;
            var m = new float[delta.Length];
            var v = new float[delta.Length];
            for (int i = 0; i < delta.Length; i++)
            {
                float d = delta[i];
                float mOld = mPrevious is null ? 0f : mPrevious[i];
                float vOld = vPrevious is null ? 0f : vPrevious[i];
                float square = d * d;
                m[i] = (b1 * mOld) + (c1 * d);
                v[i] = kind switch
                {
                    SecondMoment.Adam => (b2 * vOld) + (c2 * square),
                    SecondMoment.Yogi => vOld - ((c2 * square) * Sign(vOld - square)),
                    _ => vOld + square,
                };

                // The step overwrites the mean delta, which is not needed any more.
                delta[i] = (etaT * m[i]) / (MathF.Sqrt(v[i]) + tauF);
            }

            moments.Add(new Tensor("m/" + tensor.Name, tensor.Shape, m));
            moments.Add(new Tensor("v/" + tensor.Name, tensor.Shape, v));
        }

        var newState = new StrategyState(name, round, new TensorSet(moments));
        return StrategyMath.Finish(
            name,
            globalModel,
            mean.Average,
            newState,
            [("updates", mean.Count), ("samples", mean.Samples), ("round", round), ("effective_eta", etaT)],
            mean.ClientIds);
    }

    /// <summary>numpy's sign: −1, 0 or +1 (MathF.Sign would throw on NaN; the caller's checks catch NaN later).</summary>
    private static float Sign(float x) => x > 0 ? 1f : x < 0 ? -1f : 0f;
}
