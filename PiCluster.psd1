@{
    RootModule           = 'bin/PiCluster.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f1f8f5e-3c2a-4d7e-9b8a-2f4c1e7d9a10'
    Author               = 'PiCluster contributors'
    CompanyName          = 'PiCluster'
    Copyright            = '(c) PiCluster contributors. MIT License.'
    Description          = 'Provisions and verifies kubeadm Kubernetes clusters on Raspberry Pi OS and other single-board computers over SSH.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('bin/PiCluster.format.ps1xml')
    CmdletsToExport      = @(
        'Deploy-PiCluster'
        'Enable-PiCgroup'
        'Export-PiKubeconfig'
        'Get-PiNode'
        'Initialize-PiControlPlane'
        'Initialize-PiNode'
        'Install-PiContainerRuntime'
        'Install-PiKubernetes'
        'Install-PiPodNetwork'
        'Invoke-PiCommand'
        'Join-PiWorker'
        'New-PiNode'
        'Restart-PiNode'
        'Set-PiHostname'
        'Set-PiKernelNetworking'
        'Set-PiNetwork'
        'Set-PiSwap'
        'Set-PiTimeSync'
        'Test-PiCluster'
        'Test-PiNode'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            # What the PowerShell Gallery shows. The project has no public home page or licence URL yet: those keys
            # stay absent rather than point somewhere made up (a Pester test checks).
            Tags         = @('Kubernetes', 'kubeadm', 'RaspberryPi', 'SSH', 'Linux', 'PSEdition_Core')
            ReleaseNotes = 'Node preparation (hostname, static address, time, cgroups, swap, kernel networking), container runtime (containerd or CRI-O) and kubelet/kubeadm/kubectl from a signed repository, with -WhatIf, parallel nodes and preflight checks. See README.md.'
        }
    }
}
