using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Strategies;

public class KrumAndBulyanTests
{
    /// <summary>Five updates over two tensors "a" [1] and "b" [1]: (0, 0), (1, 0), (0, 2), (10, 10), (11, 10).</summary>
    private static List<ClientUpdate> FivePoints() =>
    [
        .. new (float A, float B, long N)[] { (0, 0, 1), (1, 0, 3), (0, 2, 1), (10, 10, 1), (11, 10, 1) }
            .Select((p, k) => new ClientUpdate($"c{k}", new TensorSet([new Tensor("a", [1], [p.A]), new Tensor("b", [1], [p.B])]), p.N)),
    ];

    private static TensorSet ZeroAB => new([new Tensor("a", [1], [0f]), new Tensor("b", [1], [0f])]);

    [Fact]
    public void Krum_score_sums_the_squared_distances_to_the_n_minus_f_minus_2_nearest_others()
    {
        // Squared distances: 0–1: 1, 0–2: 4, 0–3: 200, 0–4: 221, 1–2: 5, 1–3: 181, 1–4: 200, 2–3: 164, 2–4: 185, 3–4: 1.
        // With n = 5 and f = 1 each score sums the 2 nearest: 1+4, 1+5, 4+5, 1+164, 1+185.
        var scores = Krum.Scores([.. FivePoints().Select(u => u.Delta)], f: 1);

        scores.ShouldBe([5.0, 6.0, 9.0, 165.0, 186.0]);
    }

    [Fact]
    public void Krum_score_with_f_zero_uses_n_minus_2_neighbours()
    {
        // 3 nearest of each: 1+4+200, 1+5+181, 4+5+164, 1+164+181, 1+185+200.
        var scores = Krum.Scores([.. FivePoints().Select(u => u.Delta)], f: 0);

        scores.ShouldBe([205.0, 187.0, 173.0, 346.0, 386.0]);
    }

    [Fact]
    public void Krum_picks_the_lowest_scoring_delta_itself()
    {
        var result = new Krum(f: 1).Aggregate(ZeroAB, FivePoints(), null);

        result.SelectedClientIds.ShouldBe(["c0"]);
        result.Model["a"].Values.ShouldBe([0f]);
        result.Model["b"].Values.ShouldBe([0f]);
        result.Metrics["krum_score"].ShouldBe(5);
        result.Metrics["selected"].ShouldBe(1);
    }

    [Fact]
    public void Krum_breaks_score_ties_by_input_order()
    {
        var global = Updates.Vector(0);

        new Krum().Aggregate(global, [Updates.Of("x", [5]), Updates.Of("y", [5]), Updates.Of("z", [9])], null)
            .SelectedClientIds.ShouldBe(["x"]);
        new Krum().Aggregate(global, [Updates.Of("y", [5]), Updates.Of("x", [5]), Updates.Of("z", [9])], null)
            .SelectedClientIds.ShouldBe(["y"]);
    }

    [Fact]
    public void Krum_result_does_not_alias_the_selected_update()
    {
        var updates = FivePoints();

        var result = new Krum(f: 1).Aggregate(ZeroAB, updates, null);

        result.Model["a"].Values.ShouldNotBeSameAs(updates[0].Delta["a"].Values);
    }

    [Fact]
    public void Multi_krum_averages_the_m_best_weighted_by_samples_in_input_order()
    {
        var result = new MultiKrum(f: 1, m: 2).Aggregate(ZeroAB, FivePoints(), null);

        // Scores 5, 6, 9, 165, 186 → c0 (1 sample) and c1 (3 samples): a = (0·1 + 1·3) / 4, b = 0.
        result.SelectedClientIds.ShouldBe(["c0", "c1"]);
        result.Model["a"].Values.ShouldBe([0.75f]);
        result.Model["b"].Values.ShouldBe([0f]);
        result.Metrics["selected_samples"].ShouldBe(4);
    }

    [Fact]
    public void Multi_krum_defaults_to_m_equals_n_minus_f()
    {
        var result = new MultiKrum(f: 1).Aggregate(ZeroAB, FivePoints(), null);

        // Drops only c4 (score 186): a = (0 + 3 + 0 + 10) / 6, b = (0 + 0 + 2 + 10) / 6.
        result.SelectedClientIds.ShouldBe(["c0", "c1", "c2", "c3"]);
        result.Model["a"].Values[0].ShouldBe(13f / 6, tolerance: 1e-6f);
        result.Model["b"].Values[0].ShouldBe(2f, tolerance: 1e-6f);
    }

    [Fact]
    public void Multi_krum_with_m_one_is_krum()
    {
        var updates = Updates.RandomUpdates(6, seed: 8);
        var global = Updates.Random(9);

        var multi = new MultiKrum(f: 1, m: 1).Aggregate(global, updates, null);
        var single = new Krum(f: 1).Aggregate(global, updates, null);

        multi.SelectedClientIds.ShouldBe(single.SelectedClientIds);
        Updates.Bytes(multi.Model).ShouldBe(Updates.Bytes(single.Model));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 4)]
    [InlineData(2, 6)]
    public void Krum_refuses_2f_plus_2_or_fewer_updates(int f, int n)
    {
        var updates = Updates.RandomUpdates(n, seed: 1);

        var krum = Should.Throw<StrategyInputException>(() => new Krum(f).Aggregate(Updates.Random(0), updates, null));
        var multi = Should.Throw<StrategyInputException>(() => new MultiKrum(f).Aggregate(Updates.Random(0), updates, null));

        krum.Message.ShouldBe($"krum needs more than 2f + 2 = {(2 * f) + 2} updates (f = {f}), but {n} were given");
        multi.Message.ShouldBe($"multi-krum needs more than 2f + 2 = {(2 * f) + 2} updates (f = {f}), but {n} were given");
        new Krum(f).ConfigureRound().MinimumUpdates.ShouldBe(n + 1);
    }

    [Fact]
    public void Multi_krum_refuses_m_larger_than_the_update_count()
    {
        var error = Should.Throw<StrategyInputException>(
            () => new MultiKrum(f: 0, m: 4).Aggregate(Updates.Random(0), Updates.RandomUpdates(3, seed: 1), null));

        error.Message.ShouldBe("multi-krum averages m = 4 updates, but only 3 were given");
    }

    [Fact]
    public void Bulyan_selects_by_repeated_krum_and_averages_the_beta_values_closest_to_the_median()
    {
        // n = 7, f = 1: θ = 5 selected, β = 3 averaged per coordinate.
        // Krum rounds (neighbours 4, 3, 2, 1, 1) pick 10 (score 10), 11 (14, tie with 9 and 12, earliest wins),
        // 9 (10), 12 (4, tie with 14), 8 (36, tie with 14); 14 and the outlier 110 are never selected.
        // Sorted 8, 9, 10, 11, 12; median 10; closest three: 10, then 9 (tie with 11, lower wins), then 11 → mean 10.
        var updates = Updates.Rows([10], [11], [9], [12], [8], [14], [110]);

        var result = new Bulyan(f: 1).Aggregate(Updates.Vector(0), updates, null);

        result.SelectedClientIds.ShouldBe(["c0", "c1", "c2", "c3", "c4"]);
        result.W().ShouldBe([10f]);
        result.Metrics["selected"].ShouldBe(5);
        result.Metrics["beta"].ShouldBe(3);
    }

    [Fact]
    public void Bulyan_coordinate_phase_takes_an_asymmetric_run_around_the_median()
    {
        // n = 7, f = 1: five clustered updates and two far ones, so repeated Krum selects c0…c4 whatever the ties;
        // the third, tiny coordinate only exercises the closest-to-median rule.
        float[][] rows = [[10, 0, 1.0e-3f], [10.5f, 0, 1.95e-3f], [9.6f, 0, 2.0e-3f], [11.3f, 0, 2.1e-3f], [8.8f, 0, 0.9e-3f], [30, 0, 0], [110, 0, 0]];

        var result = new Bulyan(f: 1).Aggregate(Updates.Vector(0, 0, 0), Updates.Rows(rows), null);

        // Third coordinate of the selected: sorted 0.9, 1.0, 1.95, 2.0, 2.1 (e-3); median 1.95; closest three:
        // 1.95, 2.0 (0.05), 2.1 (0.15 < 0.95) → (1.95 + 2.0 + 2.1) / 3 e-3.
        result.SelectedClientIds.ShouldBe(["c0", "c1", "c2", "c3", "c4"]);
        result.W()[2].ShouldBe(((1.95e-3f + 2.0e-3f) + 2.1e-3f) / 3f);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 6)]
    [InlineData(2, 10)]
    public void Bulyan_refuses_fewer_than_4f_plus_3_updates(int f, int n)
    {
        var error = Should.Throw<StrategyInputException>(
            () => new Bulyan(f).Aggregate(Updates.Random(0), Updates.RandomUpdates(n, seed: 1), null));

        error.Message.ShouldBe($"bulyan needs at least 4f + 3 = {(4 * f) + 3} updates (f = {f}), but {n} were given");
        new Bulyan(f).ConfigureRound().MinimumUpdates.ShouldBe(n + 1);
    }

    [Fact]
    public void Bulyan_with_f_zero_is_the_plain_mean_of_all_updates()
    {
        var result = new Bulyan(f: 0).Aggregate(Updates.Vector(0), Updates.Rows([1], [2], [6]), null);

        result.W().ShouldBe([3f]);
    }

    [Theory]
    [InlineData(1, 7, 1)]
    [InlineData(1, 9, 2)]
    [InlineData(2, 12, 3)]
    public void Bulyan_matches_a_naive_implementation_of_its_definition(int f, int n, int seed)
    {
        var random = new Random(seed);
        const int Length = 3_000;
        var updates = Enumerable.Range(0, n)
            .Select(k => Updates.Of($"c{k}", [.. Enumerable.Range(0, Length).Select(_ => (float)Math.Round(random.NextDouble() * 8, 1))]))
            .ToList();

        var result = new Bulyan(f).Aggregate(Updates.Vector(new float[Length]), updates, null);

        // Phase 1: repeated Krum, lowest score first, ties to the earliest.
        var remaining = updates.ToList();
        var selected = new List<ClientUpdate>();
        for (int s = 0; s < n - (2 * f); s++)
        {
            var scores = Krum.Scores([.. remaining.Select(u => u.Delta)], f);
            int best = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ThenBy(i => i).First();
            selected.Add(remaining[best]);
            remaining.RemoveAt(best);
        }

        result.SelectedClientIds.ShouldBe(updates.Where(selected.Contains).Select(u => u.ClientId));

        // Phase 2: per coordinate, the β values nearest the median (ties to the lower value), summed in ascending order.
        int theta = n - (2 * f);
        int beta = theta - (2 * f);
        for (int i = 0; i < Length; i++)
        {
            var sorted = selected.Select(u => u.Delta["w"].Values[i]).Order().ToArray();
            float median = theta % 2 == 1 ? sorted[theta / 2] : (sorted[(theta / 2) - 1] + sorted[theta / 2]) / 2f;
            var nearest = sorted.OrderBy(x => MathF.Abs(x - median)).ThenBy(x => x).Take(beta).Order().ToArray();
            float sum = nearest[0];
            for (int r = 1; r < beta; r++)
            {
                sum += nearest[r];
            }

            result.W()[i].ShouldBe(0f + (sum / beta), $"coordinate {i}");
        }
    }
}
