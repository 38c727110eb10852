using PiCluster.Engine;

namespace PiCluster.Tests.Lab;

/// <summary>PiNode objects for the lab's nodes, as the lab's cluster file describes them.</summary>
internal static class LabNodes
{
    public static PiNode Node(this LabFixture lab, string name, NodeRole role = NodeRole.Worker) =>
        new(name, "127.0.0.1", role, "pi", lab.SshPort(name), lab.IdentityFile, lab.SshConfigPath, lab.LanAddress(name));
}
