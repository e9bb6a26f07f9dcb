from digital_factory.cli import main

main()
