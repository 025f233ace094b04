from kodos.cli import main

main()
