namespace Federation.Policies.Tests;

/// <summary><c>trainers:</c> pins the external trainers a task may run, by the hash of their files.</summary>
public class TrainerPolicyTests
{
    private static readonly string Hash = new('a', 64);

    [Fact]
    public void A_policy_without_trainers_pins_none_and_one_with_them_pins_exactly_those()
    {
        PolicyText.Parse(PolicyText.Valid).DefaultRules.Trainers.ShouldBeNull();

        var rules = PolicyText.Parse(PolicyText.Valid + $"\ntrainers:\n  photo-cnn: {Hash}\n  press-cnn: {new string('b', 64)}\n").DefaultRules;

        rules.Trainers!.Value.Select(trainer => trainer.Name).ShouldBe(["photo-cnn", "press-cnn"]);
        rules.PinnedTrainer(Hash)!.Name.ShouldBe("photo-cnn");
        rules.PinnedTrainer(new string('c', 64)).ShouldBeNull();
    }

    [Theory]
    [InlineData("  photo-cnn: ABC\n", "trainers[\"photo-cnn\"] must be the trainer's SHA-256 as 64 lowercase hex digits")]
    [InlineData("  photo cnn: 0000000000000000000000000000000000000000000000000000000000000000\n", "is not a valid trainer name")]
    [InlineData("  one: 0000000000000000000000000000000000000000000000000000000000000000\n  two: 0000000000000000000000000000000000000000000000000000000000000000\n", "trainers[\"two\"] repeats the hash of trainers[\"one\"]")]
    public void A_bad_trainers_entry_is_refused_naming_it(string entries, string message)
    {
        var error = Should.Throw<PolicyException>(() => PolicyText.Parse(PolicyText.Valid + "\ntrainers:\n" + entries));

        error.Message.ShouldContain(message);
    }
}
