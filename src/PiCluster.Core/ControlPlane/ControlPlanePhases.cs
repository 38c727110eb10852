using System;
using System.Collections.Generic;
using PiCluster.Engine.Phases;

namespace PiCluster.ControlPlane;

/// <summary>The phase lists of the cluster cmdlets, shared by each cmdlet and Deploy-PiCluster.</summary>
public static class ControlPlanePhases
{
    /// <summary>
    /// Initialize-PiControlPlane: every node's routes (for the subnet check), the kubeadm configuration on the leader,
    /// the image pull and kubeadm init, in that order.
    /// </summary>
    /// <param name="imagePullTimeout">How long the image pull may take.</param>
    /// <param name="initTimeout">How long kubeadm init may take.</param>
    /// <param name="readLocalFile">Reads network.manifest when it is a file on this machine (tests replace it).</param>
    public static IReadOnlyList<ClusterPhase> Init(TimeSpan imagePullTimeout, TimeSpan initTimeout, Func<string, byte[]>? readLocalFile = null) => new ClusterPhase[]
    {
        new NetworkFactsPhase(),
        new KubeadmConfigPhase(readLocalFile),
        new ImagePullPhase(imagePullTimeout),
        new KubeadmInitPhase(initTimeout),
    };
}
