using System;
using System.Collections.Generic;
using PiCluster.Transport;

namespace PiCluster.ControlPlane;

/// <summary>
/// The bootstrap tokens PiCluster makes, kubeadm init's and the joins': how a later run recognises them, and the
/// command that deletes them on the leader. Only their public ids ever leave the node.
/// </summary>
public static class BootstrapTokens
{
    /// <summary>The description every PiCluster bootstrap token carries: how a later run recognises one left behind.</summary>
    public const string Description = "PiCluster bootstrap token, deleted when its run ends";

    /// <summary>A script of the bootstrap-token family with <see cref="Description"/> among its variables, run as root on the leader.</summary>
    internal static RemoteCommand Command(string script, string display, IReadOnlyDictionary<string, string>? variables = null)
    {
        var all = new Dictionary<string, string>(variables ?? new Dictionary<string, string>()) { ["PICLUSTER_DESCRIPTION"] = Description };
        return new RemoteCommand(RemoteScripts.Compose(script, all), asRoot: true, display: display);
    }

    /// <summary>On the leader: deletes every PiCluster bootstrap token (it prints "deleted ID" for each).</summary>
    internal static RemoteCommand Delete(string display) => Command("bootstrap-token-delete", display);
}
