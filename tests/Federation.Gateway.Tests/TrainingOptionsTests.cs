using Federation.Site.Training;
using Federation.Vault;
using Microsoft.Extensions.Configuration;

namespace Federation.Gateway.Tests;

/// <summary>Gateway:Training picks the trainer; a setting that cannot work is named in the error.</summary>
public sealed class TrainingOptionsTests : IDisposable
{
    private readonly VaultSite vault = new();

    public void Dispose() => vault.Dispose();

    [Theory]
    [InlineData("Source", "vault-fotos", "Gateway:Training:Source is 'vault-fotos'")]
    [InlineData("Labels:0", "good", "Gateway:Training:Labels must list at least two")]
    [InlineData("Labels:0", "not ok", "Gateway:Training:Labels has 'not ok'")]
    [InlineData("HoldoutFraction", "1", "Gateway:Training:HoldoutFraction is 1")]
    [InlineData("ForceColumn", "force (N)", "Gateway:Training:ForceColumn 'force (N)'")]
    [InlineData("Source", "external", "Gateway:Training:Command is empty")]
    public void A_setting_that_cannot_work_is_named(string key, string value, string message)
    {
        var options = Bind(new() { [$"Gateway:Training:{key}"] = value });

        Should.Throw<InvalidOperationException>(options.Validate).Message.ShouldStartWith(message);
    }

    [Theory]
    [InlineData("Kind", "logs", "Gateway:Training:Kind is 'logs'")]
    [InlineData("TimeoutSeconds", "0", "Gateway:Training:TimeoutSeconds")]
    [InlineData("Confinement", "firejail", "Gateway:Training:Confinement is 'firejail'; use bubblewrap (the default) or none")]
    [InlineData("MemoryLimitMegabytes", "10", "Gateway:Training:MemoryLimitMegabytes is 10")]
    public void An_external_trainer_needs_a_readable_kind_a_timeout_and_a_known_confinement(string key, string value, string message)
    {
        var options = Bind(new() { ["Gateway:Training:Source"] = "external", ["Gateway:Training:Command"] = "/usr/bin/trainer", [$"Gateway:Training:{key}"] = value });

        Should.Throw<InvalidOperationException>(options.Validate).Message.ShouldStartWith(message);
    }

    [Fact]
    public void The_source_picks_the_trainer_with_its_settings()
    {
        var photos = Create(new() { ["Gateway:Training:Source"] = "vault-photos", ["Gateway:Training:Labels:0"] = "ok", ["Gateway:Training:Labels:1"] = "scratch" });
        var pressFit = Create(new() { ["Gateway:Training:Source"] = "vault-press-fit", ["Gateway:Training:ForceColumn"] = "load_n" });
        var external = Create(new()
        {
            ["Gateway:Training:Source"] = "external", ["Gateway:Training:Command"] = "/usr/bin/python3", ["Gateway:Training:Arguments:0"] = "train.py",
            ["Gateway:Training:Kind"] = "force", ["Gateway:Training:TimeoutSeconds"] = "90",
        });

        photos.ShouldBeOfType<VaultPhotoTrainer>().Labels.ShouldBe(["ok", "scratch"]);
        pressFit.ShouldBeOfType<VaultPressFitTrainer>().ForceColumn.ShouldBe("load_n");
        pressFit.ShouldBeOfType<VaultPressFitTrainer>().Labels.ShouldBe(["good", "faulty"]);
        var command = external.ShouldBeOfType<ExternalTrainer>();
        (command.Command, command.Kind, command.Timeout).ShouldBe(("/usr/bin/python3", VaultKind.Force, TimeSpan.FromSeconds(90)));
        command.Arguments.ShouldBe(["train.py"]);
    }

    [Theory]
    [InlineData("Gateway:Tasks:press-fit:Training:Source", "vault-fotos", "Gateway:Tasks:press-fit:Training:Source is 'vault-fotos'")]
    [InlineData("Gateway:Tasks:press-fit:Training:Source", "external", "Gateway:Tasks:press-fit:Training:Command is empty; Gateway:Tasks:press-fit:Training:Source=external")]
    [InlineData("Gateway:Tasks:press-fit:Training:Labels:0", "good", "Gateway:Tasks:press-fit:Training:Labels must list at least two")]
    [InlineData("Gateway:Tasks:press-fit:Trainer:Source", "vault-press-fit", "Gateway:Tasks:press-fit:Training is missing")]
    [InlineData("Gateway:Tasks:Press-Fit:Training:Source", "vault-press-fit", "Gateway:Tasks:Press-Fit does not name a task")]
    [InlineData("Gateway:Tasks:press_fit:Training:Source", "vault-fotos", "Gateway:Tasks:press_fit:Training:Source is 'vault-fotos'")]
    [InlineData("Gateway:Tasks:default:Training:Source", "vault-press-fit", "Gateway:Tasks:default is task default, whose trainer is Gateway:Training")]
    public void A_task_section_that_cannot_work_is_refused_naming_its_key(string key, string value, string message)
    {
        var options = Bind(new() { ["Gateway:Training:Source"] = "vault-photos", [key] = value });

        Should.Throw<InvalidOperationException>(options.Validate).Message.ShouldStartWith(message);
    }

    [Fact]
    public void A_task_named_twice_once_with_underscores_for_hyphens_is_refused()
    {
        var options = Bind(new()
        {
            ["Gateway:Tasks:press-fit:Training:Source"] = "vault-press-fit",
            ["Gateway:Tasks:press_fit:Training:Source"] = "vault-press-fit",
        });

        Should.Throw<InvalidOperationException>(options.Validate).Message.ShouldBe("Gateway:Tasks:press-fit and Gateway:Tasks:press_fit both name task press-fit; keep one.");
    }

    [Fact]
    public void Underscores_in_a_task_key_stand_for_hyphens_as_systemd_environment_files_need()
    {
        var options = Bind(new() { ["Gateway:Training:Source"] = "vault-photos", ["Gateway:Tasks:press_fit:Training:Source"] = "vault-press-fit" });
        options.Validate();

        var trainers = options.CreateTrainers(vault.Store);

        trainers.TasksWithOwnTrainer.ShouldBe(["press-fit"]);
        trainers.For("press-fit").ShouldBeOfType<VaultPressFitTrainer>().Settings.ShouldBe("Gateway:Tasks:press_fit:Training");
    }

    [Fact]
    public void A_task_with_its_own_section_gets_its_own_trainer_and_every_other_task_the_gateway_trainer()
    {
        var options = Bind(new()
        {
            ["Gateway:Training:Source"] = "vault-photos",
            ["Gateway:Tasks:press-fit:Training:Source"] = "vault-press-fit",
            ["Gateway:Tasks:press-fit:Training:ForceColumn"] = "load_n",
        });
        options.Validate();

        var trainers = options.CreateTrainers(vault.Store);

        trainers.TasksWithOwnTrainer.ShouldBe(["press-fit"]);
        trainers.For("press-fit").ShouldBeOfType<VaultPressFitTrainer>().ForceColumn.ShouldBe("load_n");
        trainers.For("default").ShouldBeSameAs(trainers.Default);
        trainers.For("weld-photos").ShouldBeSameAs(trainers.Default);
        trainers.Default.ShouldBeOfType<VaultPhotoTrainer>();
    }

    private ILocalTrainer Create(Dictionary<string, string?> settings)
    {
        var options = Bind(settings);
        options.Validate();
        return options.CreateTrainers(vault.Store).Default;
    }

    internal static GatewayOptions Bind(Dictionary<string, string?> settings)
    {
        settings["Gateway:Id"] = "factory-1";
        settings["Gateway:KeyFile"] = "/etc/federation/gateway.key";
        settings["Gateway:PolicyFile"] = "/etc/federation/policy.yaml";
        settings["Gateway:AggregatorKeyId"] = new string('a', 64);
        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(GatewayOptions.Section).Get<GatewayOptions>()!;
    }
}
