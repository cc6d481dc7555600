from sombrilla.cli import main

main()
